import { loadAgentConfig } from '../config';
import { openFileLimit, parseProcLimits, proxyBudget } from './fd-budget';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('the proxy descriptor budget', () => {
  it('reads the soft open-file limit from /proc/<pid>/limits', () => {
    expect(parseProcLimits(LIMITS)).toBe(1024);
    expect(parseProcLimits(LIMITS.replace('1024   ', 'unlimited'))).toBe(Infinity);
    expect(parseProcLimits('Max cpu time unlimited unlimited seconds\n')).toBeUndefined();
  });

  it("reads this process's limit", () => {
    const { limit, source } = openFileLimit();
    expect(limit).toBeGreaterThan(0);
    expect(['/proc/self/limits', 'ulimit -n', 'assumed']).toContain(source);
  });

  it('keeps listeners to a quarter and connections to an eighth of the limit', () => {
    expect(proxyBudget({ listeners: 2048, connections: 1024 }, 20_000)).toEqual({
      listeners: 2048,
      connections: 1024,
      openFileLimit: 20_000,
      lowered: false,
    });
    // The usual soft default: the proxy holds at most 256 + 2 × 128 = 512 descriptors.
    expect(proxyBudget({ listeners: 2048, connections: 1024 }, 1024)).toEqual({
      listeners: 256,
      connections: 128,
      openFileLimit: 1024,
      lowered: true,
    });
    expect(proxyBudget({ listeners: 10, connections: 5 }, Infinity)).toMatchObject({
      listeners: 10,
      connections: 5,
      lowered: false,
    });
  });

  it('is configured by --proxy-max-listeners and --proxy-max-connections', () => {
    expect(loadAgentConfig([], {})).toMatchObject({
      proxyMaxListeners: 2048,
      proxyMaxConnections: 1024,
    });
    expect(
      loadAgentConfig(['--proxy-max-listeners', '300'], { BERTH_PROXY_MAX_CONNECTIONS: '40' }),
    ).toMatchObject({ proxyMaxListeners: 300, proxyMaxConnections: 40 });
    expect(() => loadAgentConfig(['--proxy-max-listeners', '0'], {})).toThrow(
      /BERTH_PROXY_MAX_LISTENERS/,
    );
  });
});
