#!/usr/bin/env node
import { startAgent, processRuntimeFactory } from './agent';
import { AgentConfigError, HELP, loadAgentConfig } from './config';
import { createLogger } from './log';

function main(): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  let config;
  try {
    config = loadAgentConfig(argv, process.env, processRuntimeFactory() !== undefined);
  } catch (err) {
    if (err instanceof AgentConfigError) {
      process.stderr.write(`berth-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const agent = startAgent(config, log);
  agent.ready.catch((err: Error) => {
    process.stderr.write(
      `berth-agent: cannot serve logs on ${config.nodeIP}:${config.kubeletPort}: ${err.message} (another agent there? use --kubelet-port)\n`,
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
