import type { KubeObject } from '../api/types';
import { DEFAULT_MAX_SERVICE_PORTS, servicePortCountCauses } from './port-limit';

function withPorts(n: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'ns' },
    spec: {
      ports: Array.from({ length: n }, (_, i) => ({ name: `p${i}`, port: 1 + i })),
    },
  };
}

describe('servicePortCountCauses', () => {
  it('allows up to the limit (100 by default)', () => {
    expect(DEFAULT_MAX_SERVICE_PORTS).toBe(100);
    expect(servicePortCountCauses(withPorts(100), undefined, 100)).toEqual([]);
    expect(servicePortCountCauses(withPorts(0), undefined, 100)).toEqual([]);
  });

  it('refuses more, naming the field, the count and the limit', () => {
    expect(servicePortCountCauses(withPorts(20_000), undefined, 100)).toEqual([
      {
        reason: 'FieldValueTooMany',
        field: 'spec.ports',
        message: 'Too many: 20000: must have at most 100 ports',
      },
    ]);
  });

  it('refuses an update that adds ports beyond the limit', () => {
    expect(servicePortCountCauses(withPorts(101), withPorts(100), 100)).toHaveLength(1);
  });

  it('lets a stored Service over a lowered limit be updated without adding ports', () => {
    expect(servicePortCountCauses(withPorts(150), withPorts(150), 100)).toEqual([]);
    expect(servicePortCountCauses(withPorts(120), withPorts(150), 100)).toEqual([]);
    expect(servicePortCountCauses(withPorts(151), withPorts(150), 100)).toHaveLength(1);
  });
});
