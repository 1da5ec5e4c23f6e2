import { Logger } from '@nestjs/common';
import { createLogger, type LogLevel } from '@berth/config';
import { NestLogger } from './nest-logger';

function capture(level: LogLevel = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const nest = new NestLogger(
    createLogger({
      component: 'berth-api',
      level,
      out: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    }),
  );
  return { nest, lines };
}

describe('NestLogger', () => {
  it("writes Nest's messages as Berth log lines, its context as a field", () => {
    const { nest, lines } = capture();
    nest.log('listening', 'Main');
    nest.warn('slow', 'Watch');
    nest.verbose('detail', 'Watch');
    nest.debug('more', 'Watch');
    expect(
      lines.map(({ level, msg, component, context }) => ({ level, msg, component, context })),
    ).toEqual([
      { level: 'info', msg: 'listening', component: 'berth-api', context: 'Main' },
      { level: 'warn', msg: 'slow', component: 'berth-api', context: 'Watch' },
      { level: 'trace', msg: 'detail', component: 'berth-api', context: 'Watch' },
      { level: 'debug', msg: 'more', component: 'berth-api', context: 'Watch' },
    ]);
    expect(typeof lines[0].time).toBe('string');
  });

  it('keeps an error stack and fatal as error', () => {
    const { nest, lines } = capture();
    const err = new Error('boom');
    nest.error('request failed', err.stack, 'Errors');
    nest.fatal('gone', 'Main');
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'request failed', context: 'Errors' });
    expect(lines[0].stack).toContain('boom');
    expect(lines[1]).toMatchObject({ level: 'error', msg: 'gone', fatal: true, context: 'Main' });
  });

  it("turns Nest's start-up chatter to debug and honours the level", () => {
    const { nest, lines } = capture('info');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.debug('hidden', 'Watch');
    nest.log('Nest application successfully started', 'NestApplication');
    expect(lines.map((l) => l.msg)).toEqual(['Nest application successfully started']);
  });

  it('takes the logs of Nest Logger instances once it is the override', () => {
    const { nest, lines } = capture();
    Logger.overrideLogger(nest);
    try {
      new Logger('Audit').warn('queue full', { pending: 3 });
    } finally {
      Logger.overrideLogger(false);
    }
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'queue full', context: 'Audit', pending: 3 }),
    ]);
  });
});
