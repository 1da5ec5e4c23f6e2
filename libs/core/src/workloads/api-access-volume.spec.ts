import type { KubeObject } from '../api/types';
import {
  apiAccessVolume,
  mountServiceAccountToken,
  nameSuffix,
  NAME_SUFFIX_ALPHABET,
  SERVICE_ACCOUNT_MOUNT_PATH,
} from './api-access-volume';

type Json = Record<string, any>;

const pod = (spec: Json = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'a1' },
    spec: { containers: [{ name: 'app', image: 'node' }], ...spec },
  }) as KubeObject;
const account = (automount?: boolean): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace: 'a1' },
    ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
  }) as KubeObject;
const spec = (p: KubeObject) => p.spec as Json;
const fixed = () => 'x2b4z';

describe('mountServiceAccountToken', () => {
  it('adds the projected kube-api-access volume as kube-apiserver does, mounted read-only', () => {
    const p = pod();
    expect(mountServiceAccountToken(p, account(), fixed)).toBe(true);
    expect(spec(p).volumes).toEqual([
      {
        name: 'kube-api-access-x2b4z',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  {
                    path: 'namespace',
                    fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
                  },
                ],
              },
            },
          ],
        },
      },
    ]);
    expect(spec(p).containers[0].volumeMounts).toEqual([
      {
        name: 'kube-api-access-x2b4z',
        readOnly: true,
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      },
    ]);
  });

  it('mounts it in init containers too, but not where a mount at that path exists', () => {
    const p = pod({
      initContainers: [{ name: 'init', image: 'node' }],
      containers: [
        {
          name: 'own',
          image: 'node',
          volumeMounts: [{ name: 'mine', mountPath: SERVICE_ACCOUNT_MOUNT_PATH }],
        },
        { name: 'app', image: 'node', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      ],
      volumes: [
        { name: 'mine', emptyDir: {} },
        { name: 'data', emptyDir: {} },
      ],
    });
    mountServiceAccountToken(p, undefined, fixed);
    const names = (c: Json) => (c.volumeMounts ?? []).map((m: Json) => m.name);
    expect(names(spec(p).initContainers[0])).toEqual(['kube-api-access-x2b4z']);
    expect(names(spec(p).containers[0])).toEqual(['mine']);
    expect(names(spec(p).containers[1])).toEqual(['data', 'kube-api-access-x2b4z']);
    expect(spec(p).volumes.map((v: Json) => v.name)).toEqual([
      'mine',
      'data',
      'kube-api-access-x2b4z',
    ]);
  });

  it('adds no volume when every container mounts that path already', () => {
    const p = pod({
      containers: [
        {
          name: 'own',
          image: 'node',
          volumeMounts: [{ name: 'v', mountPath: SERVICE_ACCOUNT_MOUNT_PATH }],
        },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
    });
    expect(mountServiceAccountToken(p, undefined, fixed)).toBe(false);
    expect(spec(p).volumes).toEqual([{ name: 'v', emptyDir: {} }]);
  });

  it("follows automountServiceAccountToken: the pod's wins over the account's", () => {
    const off = pod({ automountServiceAccountToken: false });
    expect(mountServiceAccountToken(off, account(true), fixed)).toBe(false);
    expect(spec(off).volumes).toBeUndefined();
    const accountOff = pod();
    expect(mountServiceAccountToken(accountOff, account(false), fixed)).toBe(false);
    expect(spec(accountOff).containers[0].volumeMounts).toBeUndefined();
    const podOn = pod({ automountServiceAccountToken: true });
    expect(mountServiceAccountToken(podOn, account(false), fixed)).toBe(true);
  });

  it('reuses a volume named kube-api-access-… (its mounts point at it)', () => {
    const reused = pod({ volumes: [apiAccessVolume('kube-api-access-q7q7q')] });
    expect(mountServiceAccountToken(reused, undefined, fixed)).toBe(true);
    expect(spec(reused).volumes.map((v: Json) => v.name)).toEqual(['kube-api-access-q7q7q']);
    expect(spec(reused).containers[0].volumeMounts[0].name).toBe('kube-api-access-q7q7q');
  });
});

describe('nameSuffix', () => {
  it('draws 5 characters of the generator alphabet', () => {
    const values = [0, 0.5, 0.999, 0.2, 0.7];
    const s = nameSuffix(() => values.shift()!);
    expect(s).toHaveLength(5);
    expect([...s].every((c) => NAME_SUFFIX_ALPHABET.includes(c))).toBe(true);
    expect(s[0]).toBe(NAME_SUFFIX_ALPHABET[0]);
    expect(s[2]).toBe(NAME_SUFFIX_ALPHABET.at(-1));
  });
});
