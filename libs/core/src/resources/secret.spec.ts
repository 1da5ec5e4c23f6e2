import type { KubeObject } from '../api/types';
import { RESOURCES } from './index';
import {
  foldStringData,
  secretDefinition,
  validateImmutableUpdate,
  validateSecretImmutableUpdate,
} from './secret';
import { configMapDefinition } from './config-map';
import { serviceAccountDefinition } from './service-account';

const now = new Date('2024-05-01T12:00:00Z');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (
  rest: Record<string, unknown> = {},
  annotations?: Record<string, string>,
): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db',
      namespace: 'default',
      creationTimestamp: '2024-05-01T11:59:00Z',
      ...(annotations ? { annotations } : {}),
    },
    ...rest,
  }) as KubeObject;
const fields = (o: KubeObject, old?: KubeObject) =>
  secretDefinition.validate(o, old).map((c) => [c.field, c.message]);

describe('Secret', () => {
  it('defaults type to Opaque and keeps others', () => {
    expect(secretDefinition.applyDefaults(secret()).type).toBe('Opaque');
    expect(secretDefinition.applyDefaults(secret({ type: '' })).type).toBe('Opaque');
    expect(secretDefinition.applyDefaults(secret({ type: 'example.com/x' })).type).toBe(
      'example.com/x',
    );
  });

  it('reports bad base64 at data[key] without echoing the value', () => {
    expect(fields(secret({ data: { password: 'hunter2' } }))).toEqual([
      [
        'data[password]',
        'Invalid value: "<secret contents redacted>": illegal base64 data at input byte 4',
      ],
    ]);
  });

  it('checks keys like ConfigMap keys', () => {
    expect(fields(secret({ data: { 'a b': b64('x'), '..k': b64('y') } })).map(([f]) => f)).toEqual([
      'data[..k]',
      'data[a b]',
    ]);
  });

  it('limits decoded data to 1 MiB, reported on data', () => {
    const half = Buffer.alloc(512 * 1024).toString('base64');
    expect(fields(secret({ data: { a: half, b: half } }))).toEqual([]);
    expect(fields(secret({ data: { a: half, b: half, c: b64('x') } }))).toEqual([
      ['data', 'Too long: must have at most 1048576 bytes'],
    ]);
  });

  describe('types and their required keys', () => {
    const tokenAnn = { 'kubernetes.io/service-account.name': 'default' };
    it.each<
      [string, Record<string, string>, Record<string, string> | undefined, Array<[string, string]>]
    >([
      ['Opaque', {}, undefined, []],
      ['example.com/custom', {}, undefined, []],
      [
        'kubernetes.io/service-account-token',
        {},
        undefined,
        [['metadata.annotations[kubernetes.io/service-account.name]', 'Required value']],
      ],
      ['kubernetes.io/service-account-token', {}, tokenAnn, []],
      [
        'kubernetes.io/dockerconfigjson',
        {},
        undefined,
        [['data[.dockerconfigjson]', 'Required value']],
      ],
      [
        'kubernetes.io/dockerconfigjson',
        { '.dockerconfigjson': b64('{"auths":{}}') },
        undefined,
        [],
      ],
      [
        'kubernetes.io/dockerconfigjson',
        { '.dockerconfigjson': b64('') },
        undefined,
        [
          [
            'data[.dockerconfigjson]',
            'Invalid value: "<secret contents redacted>": unexpected end of JSON input',
          ],
        ],
      ],
      [
        'kubernetes.io/dockerconfigjson',
        { '.dockerconfigjson': b64('auths') },
        undefined,
        [
          [
            'data[.dockerconfigjson]',
            'Invalid value: "<secret contents redacted>": invalid character \'a\' looking for beginning of value',
          ],
        ],
      ],
      [
        'kubernetes.io/dockerconfigjson',
        { '.dockerconfigjson': b64('[1]') },
        undefined,
        [
          [
            'data[.dockerconfigjson]',
            'Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}',
          ],
        ],
      ],
      ['kubernetes.io/dockercfg', {}, undefined, [['data[.dockercfg]', 'Required value']]],
      ['kubernetes.io/dockercfg', { '.dockercfg': b64('{}') }, undefined, []],
      [
        'kubernetes.io/basic-auth',
        {},
        undefined,
        [
          ['data[username]', 'Required value'],
          ['data[password]', 'Required value'],
        ],
      ],
      ['kubernetes.io/basic-auth', { password: '' }, undefined, []],
      ['kubernetes.io/ssh-auth', {}, undefined, [['data[ssh-privatekey]', 'Required value']]],
      [
        'kubernetes.io/ssh-auth',
        { 'ssh-privatekey': '' },
        undefined,
        [['data[ssh-privatekey]', 'Required value']],
      ],
      ['kubernetes.io/ssh-auth', { 'ssh-privatekey': b64('k') }, undefined, []],
      [
        'kubernetes.io/tls',
        { 'tls.crt': b64('c') },
        undefined,
        [['data[tls.key]', 'Required value']],
      ],
      [
        'kubernetes.io/tls',
        {},
        undefined,
        [
          ['data[tls.crt]', 'Required value'],
          ['data[tls.key]', 'Required value'],
        ],
      ],
      ['kubernetes.io/tls', { 'tls.crt': '', 'tls.key': '' }, undefined, []],
    ])('%s %j', (type, data, annotations, expected) => {
      expect(fields(secret({ type, data }, annotations))).toEqual(expected);
    });
  });

  describe('stringData', () => {
    it('is folded into data as base64, winning over data, and dropped', () => {
      const input = secret({
        data: { a: b64('old'), b: b64('keep') },
        stringData: { a: 'new', c: 'ü' },
      });
      const out = foldStringData(input);
      expect(out).toEqual(secret({ data: { a: b64('new'), b: b64('keep'), c: 'w7w=' } }));
      expect(input.stringData).toEqual({ a: 'new', c: 'ü' });
      expect(foldStringData(secret())).toEqual(secret());
    });

    it('counts for the required keys and the key rules before folding too', () => {
      expect(
        fields(secret({ type: 'kubernetes.io/basic-auth', stringData: { username: 'u' } })),
      ).toEqual([]);
      expect(fields(secret({ stringData: { 'bad key': 'x' } })).map(([f]) => f)).toEqual([
        'data[bad key]',
      ]);
    });
  });

  describe('update', () => {
    it('type is immutable', () => {
      expect(
        validateSecretImmutableUpdate(
          secret({ type: 'Opaque' }),
          secret({ type: 'kubernetes.io/tls' }),
        ),
      ).toEqual([
        {
          field: 'type',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "kubernetes.io/tls": field is immutable',
        },
      ]);
      expect(validateSecretImmutableUpdate(secret({ type: 'Opaque' }), secret())).toEqual([]);
    });

    it('an immutable Secret keeps immutable and data (stringData counts as data)', () => {
      const old = secret({ type: 'Opaque', data: { a: b64('1') }, immutable: true });
      const f = (next: KubeObject) => validateImmutableUpdate(old, next).map((c) => c.field);
      expect(f(secret({ type: 'Opaque', data: { a: b64('1') }, immutable: true }))).toEqual([]);
      expect(f(secret({ type: 'Opaque', stringData: { a: '1' }, immutable: true }))).toEqual([]);
      expect(f(secret({ type: 'Opaque', stringData: { a: '2' }, immutable: true }))).toEqual([
        'data',
      ]);
      expect(f(secret({ type: 'Opaque', data: { a: b64('1') } }))).toEqual(['immutable']);
      expect(validateImmutableUpdate(old, secret({ data: {}, immutable: true }))[0]?.message).toBe(
        'Forbidden: field is immutable when `immutable` is set',
      );
      expect(
        fields(secret({ type: 'Opaque', data: { a: b64('2') }, immutable: true }), old),
      ).toEqual([['data', 'Forbidden: field is immutable when `immutable` is set']]);
    });

    it('validateImmutableUpdate ignores other kinds', () => {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {},
        immutable: true,
      } as unknown as KubeObject;
      expect(validateImmutableUpdate(pod, { ...pod, immutable: false } as KubeObject)).toEqual([]);
    });
  });

  it('selects by type and prints NAME TYPE DATA AGE', () => {
    expect(secretDefinition.selectableFields(secret({ type: 'kubernetes.io/tls' }))).toEqual({
      type: 'kubernetes.io/tls',
    });
    expect(secretDefinition.table.columns.map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Data',
      'Age',
    ]);
    expect(
      secretDefinition.table.row(secret({ type: 'Opaque', data: { a: '', b: '' } }), now),
    ).toEqual(['db', 'Opaque', 2, '60s']);
  });
});

describe('ServiceAccount', () => {
  const sa = (rest: Record<string, unknown> = {}, name = 'builder'): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: 'ci', creationTimestamp: '2024-04-29T12:00:00Z' },
      ...rest,
    }) as KubeObject;

  it('has core/v1 discovery data', () => {
    expect(serviceAccountDefinition).toMatchObject({
      plural: 'serviceaccounts',
      shortNames: ['sa'],
      namespaced: true,
    });
  });

  it('accepts secrets, imagePullSecrets and automountServiceAccountToken', () => {
    const o = sa({
      secrets: [{ name: 'tok' }],
      imagePullSecrets: [{ name: 'reg' }],
      automountServiceAccountToken: false,
    });
    const r = serviceAccountDefinition.validateSchema(o);
    expect(r.causes).toEqual([]);
    expect(r.unknownFields).toEqual([]);
    expect(serviceAccountDefinition.validate(r.object)).toEqual([]);
    expect(
      serviceAccountDefinition.validateSchema(sa({ automountServiceAccountToken: 'no' })).causes,
    ).toHaveLength(1);
  });

  it('names are DNS subdomains', () => {
    expect(serviceAccountDefinition.validate(sa({}, 'ci.bot'))).toEqual([]);
    expect(serviceAccountDefinition.validate(sa({}, 'Bad_Name'))[0]?.field).toBe('metadata.name');
  });

  it('prints NAME SECRETS AGE', () => {
    expect(serviceAccountDefinition.table.columns.map((c) => c.name)).toEqual([
      'Name',
      'Secrets',
      'Age',
    ]);
    expect(serviceAccountDefinition.table.row(sa({ secrets: [{ name: 'a' }] }), now)).toEqual([
      'builder',
      1,
      '2d',
    ]);
  });
});

it('serves ConfigMaps, Secrets and ServiceAccounts', () => {
  for (const def of [configMapDefinition, secretDefinition, serviceAccountDefinition])
    expect(RESOURCES).toContain(def);
});
