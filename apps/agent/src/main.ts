#!/usr/bin/env node
import { CONFIG_EXIT_CODE, ConfigError } from '@berth/config';
import { startAgent, processRuntimeFactory } from './agent';
import { AGENT_HELP, readAgentConfig, type AgentConfig } from './config';
import { agentLogger } from './log';

function main(): void {
  let config: AgentConfig;
  try {
    const read = readAgentConfig(
      process.argv.slice(2),
      process.env,
      processRuntimeFactory() !== undefined,
    );
    if (read.help) {
      process.stdout.write(AGENT_HELP);
      return;
    }
    config = read.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth-agent: ${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
  const log = agentLogger(config);
  const agent = startAgent(config, log);
  agent.ready.catch((err: Error) => {
    process.stderr.write(
      `berth-agent: cannot listen (logs on ${config.nodeIP}:${config.kubeletPort}${config.metricsPort !== undefined ? `, metrics on 127.0.0.1:${config.metricsPort}` : ''}): ${err.message} (another agent there? use --kubelet-port / --metrics-port)\n`,
    );
    void agent.stop().finally(() => process.exit(1));
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    // Pods keep running (the next start re-adopts them); the process goes within 10 s.
    setTimeout(() => process.exit(1), 9_000).unref();
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

try {
  main();
} catch (err) {
  process.stderr.write(`berth-agent: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
}
