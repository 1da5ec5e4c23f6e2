import type { KubeObject } from '../api/types';
import { podDisruptionBudgetDefinition as def } from './poddisruptionbudget';

function pdb(spec: Record<string, unknown>, status?: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'demo' },
    spec,
    ...(status ? { status } : {}),
  } as unknown as KubeObject;
}

const fields = (o: KubeObject) => def.validate(o).map((c) => c.field);

describe('PodDisruptionBudget validation', () => {
  it('accepts one of minAvailable / maxUnavailable as int or percent', () => {
    expect(def.validate(pdb({ minAvailable: 2, selector: { matchLabels: { a: 'b' } } }))).toEqual(
      [],
    );
    expect(def.validate(pdb({ maxUnavailable: '25%' }))).toEqual([]);
    expect(def.validate(pdb({}))).toEqual([]);
  });

  it('rejects both set on spec, as kube-apiserver', () => {
    const causes = def.validate(pdb({ minAvailable: 1, maxUnavailable: 1 }));
    expect(causes.map((c) => c.field)).toEqual(['spec']);
    expect(causes[0].message).toMatch(/minAvailable and maxUnavailable cannot be both set$/);
  });

  it('checks int-or-percent values with their field paths', () => {
    expect(fields(pdb({ minAvailable: -1 }))).toEqual(['spec.minAvailable']);
    expect(fields(pdb({ maxUnavailable: 'half' }))).toEqual(['spec.maxUnavailable']);
    expect(def.validate(pdb({ maxUnavailable: '101%' }))[0].message).toMatch(
      /must not be greater than 100%/,
    );
  });

  it('checks the selector and the unhealthy-pod eviction policy', () => {
    expect(
      fields(pdb({ selector: { matchExpressions: [{ key: 'a', operator: 'Nope' }] } })),
    ).toEqual([expect.stringMatching(/^spec\.selector\.matchExpressions\[0\]/)]);
    const causes = def.validate(pdb({ unhealthyPodEvictionPolicy: 'Sometimes' }));
    expect(causes).toEqual([
      expect.objectContaining({
        field: 'spec.unhealthyPodEvictionPolicy',
        reason: 'FieldValueNotSupported',
      }),
    ]);
    expect(def.validate(pdb({ unhealthyPodEvictionPolicy: 'AlwaysAllow' }))).toEqual([]);
  });

  it('prints the kubectl get pdb row', () => {
    expect(def.table.columns.map((c) => c.name)).toEqual([
      'Name',
      'Min Available',
      'Max Unavailable',
      'Allowed Disruptions',
      'Age',
    ]);
    const row = def.table.row(pdb({ minAvailable: '50%' }, { disruptionsAllowed: 3 }), new Date());
    expect(row.slice(0, 4)).toEqual(['web', '50%', 'N/A', 3]);
  });
});
