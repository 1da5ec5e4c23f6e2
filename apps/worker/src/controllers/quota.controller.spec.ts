import { qualifiedResource } from '@berth/core';
import { resourcesForQuotaKeys } from './quota.controller';

const names = (keys: string[]) => resourcesForQuotaKeys(keys).map(qualifiedResource);

describe('resourcesForQuotaKeys', () => {
  it('reads pods for pod counts, requests and limits, once', () => {
    expect(names(['pods', 'requests.cpu', 'limits.memory', 'cpu', 'count/pods'])).toEqual(['pods']);
  });

  it('reads the resource a count/ key names, and services for the service keys', () => {
    expect(
      names(['count/deployments.apps', 'count/replicasets.apps', 'services.nodeports']),
    ).toEqual(['deployments.apps', 'replicasets.apps', 'services']);
  });

  it('skips resources Berth does not serve and cluster-scoped ones', () => {
    expect(
      names([
        'requests.storage',
        'persistentvolumeclaims',
        'count/widgets.example.com',
        'count/nodes',
      ]),
    ).toEqual([]);
  });
});
