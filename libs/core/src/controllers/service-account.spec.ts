import { decideServiceAccounts, DEFAULT_SERVICE_ACCOUNT } from './service-account';

const ns = (extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'team-a', ...extra },
  status: { phase: 'Active' },
});

describe('decideServiceAccounts', () => {
  it('creates the default account in an active namespace without one', () => {
    expect(decideServiceAccounts(ns(), ['builder']).create).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: 'team-a' },
    });
  });

  it('does nothing when it exists, or the namespace is gone or terminating', () => {
    expect(decideServiceAccounts(ns(), ['default'])).toEqual({});
    expect(decideServiceAccounts(undefined, [])).toEqual({});
    expect(decideServiceAccounts(ns({ deletionTimestamp: '2026-12-07T00:00:00Z' }), [])).toEqual(
      {},
    );
    expect(decideServiceAccounts({ ...ns(), status: { phase: 'Terminating' } }, [])).toEqual({});
  });
});
