import { createLogger, type LoggerOptions } from './log';

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const log = createLogger({
    component: 'berth-test',
    level: 'info',
    out: (line) => lines.push(line),
    now: () => new Date('2026-01-02T03:04:05.678Z'),
    ...options,
  });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes one JSON line per event: time, level, msg, component, then the fields', () => {
    const { log, lines } = capture();
    log.info('node registered', { node: 'n1', pods: 3 });
    expect(lines).toEqual([
      '{"time":"2026-01-02T03:04:05.678Z","level":"info","msg":"node registered","component":"berth-test","node":"n1","pods":3}\n',
    ]);
  });

  it('writes only lines at or above its level', () => {
    const { log, lines } = capture({ level: 'warn' });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['warn', 'error']);
    expect(log.enabled('info')).toBe(false);
    expect(log.enabled('error')).toBe(true);
    const all = capture({ level: 'trace' });
    all.log.trace('t');
    expect(all.lines).toHaveLength(1);
  });

  it('adds fields to every line of a child logger, which may name its own component', () => {
    const { log, lines } = capture();
    const child = log.with({ node: 'n1' }).with({ component: 'service-proxy' });
    child.info('x', { port: 1 });
    expect(JSON.parse(lines[0])).toMatchObject({
      component: 'service-proxy',
      node: 'n1',
      port: 1,
    });
  });

  it('writes errors as their message and stack', () => {
    const { log, lines } = capture();
    log.error('failed', { error: new Error('boom') });
    expect(JSON.parse(lines[0]).error).toMatchObject({
      message: 'boom',
      stack: expect.any(String),
    });
  });

  it('writes text lines for a person', () => {
    const { log, lines } = capture({ format: 'text' });
    log.warn('slow request', { path: '/api/v1/pods', ms: 1200, who: 'a b' });
    expect(lines).toEqual([
      '2026-01-02T03:04:05.678Z WARN  berth-test: slow request path=/api/v1/pods ms=1200 who="a b"\n',
    ]);
  });
});
