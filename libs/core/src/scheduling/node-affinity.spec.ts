import { nodeMatchesSelectorTerms, type NodeSelectorTerm } from './index';
import { makeNode } from './test-helpers';

const node = makeNode('node-a', {
  labels: { zone: 'z1', disk: 'ssd', cores: '16', bogus: 'x16' },
});

function matches(terms: unknown): boolean {
  return nodeMatchesSelectorTerms(node, terms);
}

function expr(key: string, operator: string, values?: unknown): NodeSelectorTerm {
  return {
    matchExpressions: [
      { key, operator, ...(values !== undefined ? { values: values as string[] } : {}) },
    ],
  };
}

describe('nodeMatchesSelectorTerms', () => {
  it.each<[string, NodeSelectorTerm, boolean]>([
    ['In (match)', expr('zone', 'In', ['z0', 'z1']), true],
    ['In (no match)', expr('zone', 'In', ['z2']), false],
    ['In on a missing label', expr('gpu', 'In', ['yes']), false],
    ['NotIn (match)', expr('zone', 'NotIn', ['z2']), true],
    ['NotIn (no match)', expr('zone', 'NotIn', ['z1']), false],
    ['NotIn on a missing label matches', expr('gpu', 'NotIn', ['yes']), true],
    ['Exists', expr('disk', 'Exists'), true],
    ['Exists on a missing label', expr('gpu', 'Exists'), false],
    ['DoesNotExist', expr('gpu', 'DoesNotExist'), true],
    ['DoesNotExist on a present label', expr('disk', 'DoesNotExist'), false],
    ['Gt (match)', expr('cores', 'Gt', ['8']), true],
    ['Gt equal is no match', expr('cores', 'Gt', ['16']), false],
    ['Lt (match)', expr('cores', 'Lt', ['32']), true],
    ['Lt (no match)', expr('cores', 'Lt', ['4']), false],
    ['Gt with a negative bound', expr('cores', 'Gt', ['-1']), true],
    ['Gt on a non-integer label', expr('bogus', 'Gt', ['1']), false],
    ['Gt on a missing label', expr('gpu', 'Gt', ['1']), false],
  ])('%s', (_name, term, expected) => {
    expect(matches([term])).toBe(expected);
  });

  it('ANDs the expressions of a term', () => {
    const term: NodeSelectorTerm = {
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['z1'] },
        { key: 'disk', operator: 'In', values: ['hdd'] },
      ],
    };
    expect(matches([term])).toBe(false);
    term.matchExpressions![1]!.values = ['ssd'];
    expect(matches([term])).toBe(true);
  });

  it('ORs the terms', () => {
    expect(matches([expr('zone', 'In', ['z9']), expr('disk', 'Exists')])).toBe(true);
    expect(matches([expr('zone', 'In', ['z9']), expr('disk', 'DoesNotExist')])).toBe(false);
  });

  it('matches metadata.name through matchFields (In/NotIn, one value)', () => {
    expect(
      matches([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a'] }] }]),
    ).toBe(true);
    expect(
      matches([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-b'] }] }]),
    ).toBe(false);
    expect(
      matches([{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-b'] }] }]),
    ).toBe(true);
    // Two values, or another operator, make the term invalid.
    expect(
      matches([
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a', 'node-b'] }] },
      ]),
    ).toBe(false);
    expect(matches([{ matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }])).toBe(false);
  });

  it('ANDs matchExpressions with matchFields', () => {
    const term: NodeSelectorTerm = {
      matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }],
      matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-b'] }],
    };
    expect(matches([term])).toBe(false);
  });

  it.each<[string, unknown]>([
    ['no terms', []],
    ['an empty term', [{}]],
    ['a term with empty lists', [{ matchExpressions: [], matchFields: [] }]],
    ['In without values', [expr('zone', 'In', [])]],
    ['Exists with values', [expr('disk', 'Exists', ['ssd'])]],
    ['Gt with two values', [expr('cores', 'Gt', ['1', '2'])]],
    ['Gt with a non-integer', [expr('cores', 'Gt', ['1.5'])]],
    ['an unknown operator', [expr('zone', 'Like', ['z1'])]],
    ['an invalid key', [expr('bad key', 'Exists')]],
    ['an invalid value', [expr('zone', 'NotIn', ['not a value!'])]],
    ['garbage', 'zone=z1'],
  ])('matches nothing with %s', (_name, terms) => {
    expect(matches(terms)).toBe(false);
  });

  it('skips invalid terms but still ORs the valid ones', () => {
    expect(matches([expr('zone', 'Like', ['z1']), expr('zone', 'In', ['z1'])])).toBe(true);
  });
});
