import { planRollback } from '.';
import { deepFreeze, ownerRef } from '../test-helpers';
import { type Obj, deployment, ownedRS, rolledBack } from './test-helpers';

describe('planRollback', () => {
  const d = deployment({
    replicas: 3,
    image: 'nginx:3',
    annotations: { 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'v3' },
  });
  const rss = [1, 2, 3].map((i) =>
    ownedRS(d, {
      image: `nginx:${i}`,
      replicas: i === 3 ? 3 : 0,
      revision: i,
      createdAt: i,
      extraAnnotations: { 'kubernetes.io/change-cause': `v${i}` },
    }),
  );

  it('goes back to the previous revision by default', () => {
    const out = rolledBack(deepFreeze(d), deepFreeze(rss))!;
    expect((out.spec as Obj).template).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx:2' }] },
    });
    expect(out.metadata.annotations).toEqual({
      'deployment.kubernetes.io/revision': '3',
      'kubernetes.io/change-cause': 'v2',
    });
    expect((d.spec as Obj).template.spec.containers[0].image).toBe('nginx:3');
  });

  it('goes to a given revision, or says why not', () => {
    expect(((rolledBack(d, rss, 1)!.spec as Obj).template as Obj).spec.containers[0].image).toBe(
      'nginx:1',
    );
    expect(planRollback(d, rss, 7)).toEqual({
      ok: false,
      reason: 'RevisionNotFound',
      message: 'unable to find specified revision 7 in history',
    });
    expect(planRollback(d, [rss[2]!])).toMatchObject({
      ok: false,
      reason: 'NoHistory',
      message: 'no rollout history found for deployment "web"',
    });
    expect(planRollback(d, rss, 3)).toMatchObject({
      ok: true,
      changed: false,
      message: 'skipped rollback (current template already matches revision 3)',
    });
    expect(planRollback({ ...d, spec: { ...(d.spec as Obj), paused: true } }, rss)).toMatchObject({
      ok: false,
      reason: 'Paused',
      message:
        "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
    });
  });

  it('ignores ReplicaSets of other Deployments', () => {
    const foreign = ownedRS(d, { image: 'evil', replicas: 0, revision: 9 });
    foreign.metadata.ownerReferences = [{ ...ownerRef(d), uid: 'x' }];
    expect(
      ((rolledBack(d, [...rss, foreign])!.spec as Obj).template as Obj).spec.containers[0].image,
    ).toBe('nginx:2');
  });
});
