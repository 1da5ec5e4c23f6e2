// The agent logs through the one logger of every Berth process.
import { createLogger, type LogFormat, type Logger } from '@berth/config';
import type { AgentConfig } from './config';

export { createLogger, type Logger, type LogLevel } from '@berth/config';

/** The agent's logger: component berth-agent, at the configured level and format. */
export function agentLogger(
  config: Pick<AgentConfig, 'logLevel'> & { logFormat?: LogFormat },
): Logger {
  return createLogger({
    component: 'berth-agent',
    level: config.logLevel,
    format: config.logFormat ?? 'json',
  });
}
