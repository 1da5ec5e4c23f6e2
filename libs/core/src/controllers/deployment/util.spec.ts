import {
  equalIgnoreHash,
  maxSurgeOf,
  maxUnavailableOf,
  podTemplateHash,
  resolveFenceposts,
} from '.';

import { template, deployment } from './test-helpers';

describe('podTemplateHash', () => {
  it('is stable, independent of key order, and uses safe characters', () => {
    const a = podTemplateHash({ metadata: { labels: { app: 'web' } }, spec: { x: 1, y: 2 } });
    const b = podTemplateHash({ spec: { y: 2, x: 1 }, metadata: { labels: { app: 'web' } } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(podTemplateHash(template('nginx:2'))).not.toBe(podTemplateHash(template('nginx:1')));
  });

  it('changes with the collision count', () => {
    const t = template();
    const hashes = new Set([
      podTemplateHash(t),
      podTemplateHash(t, 0),
      podTemplateHash(t, 1),
      podTemplateHash(t, 2),
    ]);
    expect(hashes.size).toBe(4);
    expect(podTemplateHash(t, 1)).toBe(podTemplateHash(t, 1));
  });
});

describe('resolveFenceposts', () => {
  it('rounds surge up and unavailable down', () => {
    expect(resolveFenceposts('25%', '25%', 3)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ maxSurge: 3, maxUnavailable: 2 });
    expect(resolveFenceposts(2, 1, 10)).toEqual({ maxSurge: 2, maxUnavailable: 1 });
    expect(resolveFenceposts('10%', '10%', 5)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });

  it('makes maxUnavailable 1 when both resolve to zero', () => {
    expect(resolveFenceposts(0, '10%', 5)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
    expect(resolveFenceposts('0%', '0%', 100)).toEqual({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('gives Recreate no surge and no unavailability budget; caps unavailable at replicas', () => {
    const d = deployment({ strategy: { type: 'Recreate' } });
    expect(maxSurgeOf(d)).toBe(0);
    expect(maxUnavailableOf(d)).toBe(0);
    const few = deployment({
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 5 } },
    });
    expect(maxUnavailableOf(few)).toBe(2);
  });
});

describe('equalIgnoreHash', () => {
  it('ignores only the pod-template-hash label', () => {
    const a = template();
    const b = { ...template(), metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } };
    expect(equalIgnoreHash(a, b)).toBe(true);
    expect(equalIgnoreHash(a, template('nginx:2'))).toBe(false);
    expect(equalIgnoreHash(a, { ...template(), metadata: { labels: { app: 'www' } } })).toBe(false);
  });
});
