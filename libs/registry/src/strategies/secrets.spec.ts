import { type KubeObject } from '@berth/core';
import { secretStrategy } from './secrets';

const secret = (extra: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, ...extra }) as KubeObject;

describe('secretStrategy', () => {
  it('folds stringData into data on create, winning over data, and drops it', () => {
    const o = secret({ data: { a: 'eA==', b: 'eQ==' }, stringData: { b: 'hi' } });
    secretStrategy.prepareForCreate!(o);
    expect(o).toEqual(secret({ data: { a: 'eA==', b: Buffer.from('hi').toString('base64') } }));
  });

  it('folds stringData on update (a patch adding stringData too)', () => {
    const current = secret({ data: { a: 'eA==' } });
    const next = secret({ data: { a: 'eA==' }, stringData: { c: 'z' } });
    secretStrategy.prepareForUpdate!(next, current);
    expect(next).toEqual(secret({ data: { a: 'eA==', c: 'eg==' } }));
  });
});
