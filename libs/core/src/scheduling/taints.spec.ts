import {
  countIntolerablePreferNoSchedule,
  findUntoleratedTaint,
  nodeTaints,
  podTolerations,
  toleratesTaint,
  tolerationToleratesTaint,
  type Taint,
  type Toleration,
} from './index';
import { makeNode, makePod } from './test-helpers';

const dedicated: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('tolerationToleratesTaint', () => {
  it.each<[string, Toleration, boolean]>([
    [
      'Equal with the same key, value and effect',
      { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
      true,
    ],
    ['empty operator means Equal', { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, true],
    [
      'Equal with another value',
      { key: 'dedicated', operator: 'Equal', value: 'cpu', effect: 'NoSchedule' },
      false,
    ],
    ['Equal without value vs a valued taint', { key: 'dedicated', operator: 'Equal' }, false],
    ['Exists on the key', { key: 'dedicated', operator: 'Exists' }, true],
    [
      'Exists with the right effect',
      { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' },
      true,
    ],
    [
      'Exists with another effect',
      { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' },
      false,
    ],
    ['Exists on another key', { key: 'other', operator: 'Exists' }, false],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['empty effect matches every effect', { key: 'dedicated', value: 'gpu' }, true],
    [
      'unknown operator tolerates nothing',
      { key: 'dedicated', operator: 'Gt', value: 'gpu' },
      false,
    ],
  ])('%s', (_name, toleration, expected) => {
    expect(tolerationToleratesTaint(toleration, dedicated)).toBe(expected);
  });

  it('matches a taint without value against an Equal toleration without value', () => {
    const taint: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
    expect(tolerationToleratesTaint({ key: taint.key, operator: 'Equal', value: '' }, taint)).toBe(
      true,
    );
    expect(tolerationToleratesTaint({ key: taint.key }, taint)).toBe(true);
  });
});

describe('toleratesTaint', () => {
  it('is true when any toleration tolerates the taint', () => {
    expect(toleratesTaint([], dedicated)).toBe(false);
    expect(
      toleratesTaint(
        [
          { key: 'x', operator: 'Exists' },
          { key: 'dedicated', operator: 'Exists' },
        ],
        dedicated,
      ),
    ).toBe(true);
  });
});

describe('findUntoleratedTaint', () => {
  const taints: Taint[] = [
    { key: 'soft', value: '', effect: 'PreferNoSchedule' },
    { key: 'a', value: '1', effect: 'NoSchedule' },
    { key: 'b', value: '2', effect: 'NoExecute' },
  ];

  it('returns the first NoSchedule/NoExecute taint not tolerated, ignoring PreferNoSchedule', () => {
    expect(findUntoleratedTaint(taints, [])).toEqual(taints[1]);
    expect(findUntoleratedTaint(taints, [{ key: 'a', operator: 'Exists' }])).toEqual(taints[2]);
    expect(
      findUntoleratedTaint(taints, [
        { key: 'a', operator: 'Exists' },
        { key: 'b', value: '2', effect: 'NoExecute' },
      ]),
    ).toBeUndefined();
  });
});

describe('countIntolerablePreferNoSchedule', () => {
  const taints: Taint[] = [
    { key: 'x', value: '', effect: 'PreferNoSchedule' },
    { key: 'y', value: '', effect: 'PreferNoSchedule' },
    { key: 'z', value: '', effect: 'NoSchedule' },
  ];

  it('counts PreferNoSchedule taints that PreferNoSchedule (or any-effect) tolerations miss', () => {
    expect(countIntolerablePreferNoSchedule(taints, [])).toBe(2);
    expect(countIntolerablePreferNoSchedule(taints, [{ key: 'x', operator: 'Exists' }])).toBe(1);
    expect(
      countIntolerablePreferNoSchedule(taints, [
        { key: 'x', operator: 'Exists', effect: 'PreferNoSchedule' },
      ]),
    ).toBe(1);
    // A NoSchedule-only toleration does not count for PreferNoSchedule taints.
    expect(
      countIntolerablePreferNoSchedule(taints, [
        { key: 'x', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    ).toBe(2);
  });
});

describe('reading taints and tolerations', () => {
  it('reads node taints defensively', () => {
    const node = makeNode('n', {
      taints: [
        { key: 'a', effect: 'NoSchedule' },
        { key: 'b', value: 'v', effect: 'NoExecute' },
      ],
    });
    (node.spec as { taints: unknown[] }).taints.push('junk', { effect: 'NoSchedule' });
    expect(nodeTaints(node)).toEqual([
      { key: 'a', value: '', effect: 'NoSchedule' },
      { key: 'b', value: 'v', effect: 'NoExecute' },
    ]);
  });

  it('reads pod tolerations defensively', () => {
    const pod = makePod('p', {
      tolerations: [
        { key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
        7,
      ],
    });
    expect(podTolerations(pod)).toEqual([
      {
        key: 'a',
        operator: 'Exists',
        value: undefined,
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
    ]);
  });
});
