import { Balancer } from './balancer';

const b = (port: number) => ({ ip: '10.0.0.1', port });
const none = new Set<string>();
const ports = (picks: Array<{ port: number } | undefined>) => picks.map((p) => p?.port);

describe('Balancer', () => {
  it('takes the endpoints in turn', () => {
    const lb = new Balancer([b(1), b(2), b(3)]);
    const picks = Array.from({ length: 7 }, () => lb.pick('c', none, 0));
    expect(ports(picks)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });

  it('skips the endpoints a connection tried already, and says when none is left', () => {
    const lb = new Balancer([b(1), b(2), b(3)]);
    expect(lb.pick('c', new Set(['10.0.0.1:1']), 0)?.port).toBe(2);
    expect(lb.pick('c', new Set(['10.0.0.1:3']), 0)?.port).toBe(1);
    expect(lb.pick('c', new Set(['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3']), 0)).toBeUndefined();
    expect(new Balancer([]).pick('c', none, 0)).toBeUndefined();
  });

  it('carries on over new endpoints', () => {
    const lb = new Balancer([b(1), b(2)]);
    lb.pick('c', none, 0);
    lb.update([b(2), b(5)]);
    expect(ports([lb.pick('c', none, 0), lb.pick('c', none, 0), lb.pick('c', none, 0)])).toEqual([
      5, 2, 5,
    ]);
  });

  it('keeps a client on its endpoint with ClientIP affinity, until idle past the timeout', () => {
    const lb = new Balancer([b(1), b(2), b(3)], 10);
    const first = lb.pick('client-a', none, 0)!.port;
    const other = lb.pick('client-b', none, 0)!.port;
    expect(other).not.toBe(first);
    for (let t = 1000; t <= 9000; t += 1000) expect(lb.pick('client-a', none, t)?.port).toBe(first);
    // Idle for more than 10 s: a new turn.
    expect(lb.pick('client-a', none, 9000 + 10_001)?.port).not.toBe(first);
  });

  it('moves an affine client when its endpoint fails or goes', () => {
    const lb = new Balancer([b(1), b(2)], 100);
    const first = lb.pick('c', none, 0)!;
    const moved = lb.pick('c', new Set([`${first.ip}:${first.port}`]), 1)!;
    expect(moved.port).not.toBe(first.port);
    // The new one sticks.
    expect(lb.pick('c', none, 2)?.port).toBe(moved.port);
    lb.update([b(first.port)], 100);
    expect(lb.pick('c', none, 3)?.port).toBe(first.port);
  });

  it('forgets idle clients', () => {
    const lb = new Balancer([b(1), b(2)], 1);
    lb.pick('c', none, 0);
    lb.expire(500);
    expect(lb.pick('c', none, 600)?.port).toBe(1);
    lb.expire(5000);
    // Forgotten: the turn continues to 2.
    expect(lb.pick('c', none, 5000)?.port).toBe(2);
  });
});
