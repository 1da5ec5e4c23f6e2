import type { KubeObject } from '../api/types';
import {
  caBundle,
  decideRootCa,
  rootCaConfigMap,
  ROOT_CA_DESCRIPTION,
  servingCaKey,
  withServingCa,
} from './root-ca';

const ns = (extra: Record<string, unknown> = {}, phase = 'Active'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'a1', ...extra },
  status: { phase },
});
const PEM_A = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
const PEM_B = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';
const source = (data: Record<string, string>) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 's' }, data }) as KubeObject;

describe('published serving CAs', () => {
  it('keys a CA by its fingerprint and adds it once', () => {
    const key = servingCaKey('AB:CD:01');
    expect(key).toBe('ca-abcd01.crt');
    const data = withServingCa(undefined, key, PEM_A);
    expect(data).toEqual({ [key]: PEM_A + '\n' });
    expect(withServingCa(source(data!), key, PEM_A)).toBeUndefined();
    expect(withServingCa(source(data!), 'ca-ff.crt', PEM_B)).toEqual({
      [key]: PEM_A + '\n',
      'ca-ff.crt': PEM_B,
    });
  });

  it('bundles every CA in key order, each ending in a newline', () => {
    expect(caBundle(source({ 'ca-b.crt': PEM_B, 'ca-a.crt': PEM_A }))).toBe(PEM_A + '\n' + PEM_B);
    expect(caBundle(undefined)).toBe('');
  });
});

describe('decideRootCa', () => {
  const bundle = PEM_A + '\n';

  it('creates kube-root-ca.crt with the bundle in an active namespace without one', () => {
    expect(decideRootCa(ns(), undefined, bundle).create).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: 'a1',
        annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
      },
      data: { 'ca.crt': bundle },
    });
  });

  it('leaves a right one alone, and does nothing for a going namespace or without a CA', () => {
    const right = rootCaConfigMap('a1', bundle);
    expect(decideRootCa(ns(), right, bundle)).toEqual({});
    expect(
      decideRootCa(ns({ deletionTimestamp: '2026-12-07T00:00:00Z' }), undefined, bundle),
    ).toEqual({});
    expect(decideRootCa(ns({}, 'Terminating'), undefined, bundle)).toEqual({});
    expect(decideRootCa(undefined, undefined, bundle)).toEqual({});
    expect(decideRootCa(ns(), undefined, '')).toEqual({});
  });

  it('puts back the data and the description of an edited one, keeping its other metadata', () => {
    const edited = rootCaConfigMap('a1', 'not a CA') as KubeObject & Record<string, unknown>;
    edited.metadata.resourceVersion = '42';
    edited.metadata.labels = { keep: 'me' };
    edited.metadata.annotations = { other: 'x' };
    edited.data = { 'ca.crt': 'not a CA', extra: 'y' };
    edited.binaryData = { b: 'AA==' };
    const { update } = decideRootCa(ns(), edited, bundle);
    expect(update).toMatchObject({
      metadata: {
        resourceVersion: '42',
        labels: { keep: 'me' },
        annotations: { other: 'x', 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
      },
      data: { 'ca.crt': bundle },
    });
    expect(Object.keys((update as unknown as { data: object }).data)).toEqual(['ca.crt']);
    expect(update).not.toHaveProperty('binaryData');
    expect(edited.data).toEqual({ 'ca.crt': 'not a CA', extra: 'y' });
  });

  it('recreates one made immutable with other data', () => {
    const frozen = { ...rootCaConfigMap('a1', 'old'), immutable: true } as KubeObject;
    expect(decideRootCa(ns(), frozen, bundle)).toEqual({ recreate: rootCaConfigMap('a1', bundle) });
  });
});
