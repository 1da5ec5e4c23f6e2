#!/usr/bin/env node
import { AGENT_ROLE } from './index';

process.stdout.write(
  `berth-agent — Berth's ${AGENT_ROLE}.\nNot implemented yet: it arrives with its own issue.\n`,
);
