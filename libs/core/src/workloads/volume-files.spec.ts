import type { KubeObject } from '../api/types';
import type { ConfigLookup } from './env';
import { computeVolumeFiles, type TokenRequest, type VolumeFilesInput } from './volume-files';

const pod = (spec: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
    spec: {
      serviceAccountName: 'builder',
      containers: [
        { name: 'app', resources: { limits: { memory: '256Mi' }, requests: { cpu: '500m' } } },
      ],
      ...spec,
    },
  }) as unknown as KubeObject;

const lookup: ConfigLookup = {
  configMap: (ns, name) =>
    ns === 'shop' && name === 'app'
      ? {
          data: { 'app.conf': 'x=1', 'log.conf': 'level=info' },
          binaryData: { 'logo.png': Buffer.from([0x89, 0x50]) },
        }
      : undefined,
  secret: (ns, name) =>
    ns === 'shop' && name === 'tls'
      ? { data: { 'tls.crt': Buffer.from('CRT'), 'tls.key': Buffer.from('KEY') } }
      : undefined,
};

function files(volume: Record<string, unknown>, extra: Partial<VolumeFilesInput> = {}) {
  const r = computeVolumeFiles({ pod: pod(), volume, lookup, ...extra });
  if (!r.ok) throw new Error(r.error);
  return r.files.map((f) => [f.path, f.content.toString('latin1'), f.mode.toString(8)]);
}
function error(volume: Record<string, unknown>, extra: Partial<VolumeFilesInput> = {}) {
  const r = computeVolumeFiles({ pod: pod(), volume, lookup, ...extra });
  return r.ok ? undefined : r.error;
}

describe('computeVolumeFiles', () => {
  describe('configMap', () => {
    it('every key, data and binaryData, with the default mode 0644', () => {
      expect(files({ name: 'c', configMap: { name: 'app' } })).toEqual([
        ['app.conf', 'x=1', '644'],
        ['log.conf', 'level=info', '644'],
        ['logo.png', '\x89P', '644'],
      ]);
    });

    it('items map keys to paths, with per-item modes over defaultMode', () => {
      expect(
        files({
          name: 'c',
          configMap: {
            name: 'app',
            defaultMode: 0o400,
            items: [
              { key: 'app.conf', path: 'conf/app.conf' },
              { key: 'logo.png', path: 'img/logo.png', mode: 0o600 },
            ],
          },
        }),
      ).toEqual([
        ['conf/app.conf', 'x=1', '400'],
        ['img/logo.png', '\x89P', '600'],
      ]);
    });

    it('missing object or key fails unless optional', () => {
      expect(error({ name: 'c', configMap: { name: 'nope' } })).toBe('configmap "nope" not found');
      expect(files({ name: 'c', configMap: { name: 'nope', optional: true } })).toEqual([]);
      expect(
        error({ name: 'c', configMap: { name: 'app', items: [{ key: 'x', path: 'x' }] } }),
      ).toBe('configmap references non-existent config key: x');
      expect(
        files({
          name: 'c',
          configMap: {
            name: 'app',
            optional: true,
            items: [
              { key: 'x', path: 'x' },
              { key: 'app.conf', path: 'a' },
            ],
          },
        }),
      ).toEqual([['a', 'x=1', '644']]);
    });

    it.each([
      ['/etc/passwd', 'invalid path: must be relative path: /etc/passwd'],
      ['../escape', "invalid path: must not contain '..': ../escape"],
      ['a/../../b', "invalid path: must not contain '..': a/../../b"],
      ['..data/x', "invalid path: must not start with '..': ..data/x"],
      ['x'.repeat(256), 'invalid path: filenames must be less than or equal to 255 characters'],
      ['', 'invalid path: must not be empty: ""'],
    ])('rejects path %j', (path, message) => {
      expect(
        error({ name: 'c', configMap: { name: 'app', items: [{ key: 'app.conf', path }] } }),
      ).toBe(message);
    });

    it('fsGroup adds group read', () => {
      const fsPod = pod({ securityContext: { fsGroup: 2000 } });
      expect(
        files(
          {
            name: 'c',
            configMap: { name: 'app', defaultMode: 0o400, items: [{ key: 'app.conf', path: 'a' }] },
          },
          { pod: fsPod },
        ),
      ).toEqual([['a', 'x=1', '440']]);
    });
  });

  describe('secret', () => {
    it('every key with the default mode, or the items', () => {
      expect(files({ name: 's', secret: { secretName: 'tls' } })).toEqual([
        ['tls.crt', 'CRT', '644'],
        ['tls.key', 'KEY', '644'],
      ]);
      expect(
        files({
          name: 's',
          secret: {
            secretName: 'tls',
            items: [{ key: 'tls.key', path: 'private/key.pem', mode: 0o400 }],
          },
        }),
      ).toEqual([['private/key.pem', 'KEY', '400']]);
    });

    it('missing object or key fails unless optional', () => {
      expect(error({ name: 's', secret: { secretName: 'nope' } })).toBe('secret "nope" not found');
      expect(files({ name: 's', secret: { secretName: 'nope', optional: true } })).toEqual([]);
      expect(
        error({ name: 's', secret: { secretName: 'tls', items: [{ key: 'ca.crt', path: 'ca' }] } }),
      ).toBe('references non-existent secret key: ca.crt');
    });
  });

  describe('downwardAPI', () => {
    it('metadata fields and container resources', () => {
      expect(
        files(
          {
            name: 'd',
            downwardAPI: {
              items: [
                { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: './app', fieldRef: { fieldPath: "metadata.labels['app']" }, mode: 0o400 },
                {
                  path: 'mem',
                  resourceFieldRef: {
                    containerName: 'app',
                    resource: 'limits.memory',
                    divisor: '1Mi',
                  },
                },
                {
                  path: 'cpu',
                  resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' },
                },
              ],
            },
          },
          { node: { allocatable: { cpu: '2' } } },
        ),
      ).toEqual([
        ['app', 'web', '400'],
        ['cpu', '2000', '644'],
        ['labels', 'app="web"', '644'],
        ['mem', '256', '644'],
        ['name', 'web-1', '644'],
      ]);
    });

    it('aggregates the errors of all items', () => {
      expect(
        error({
          name: 'd',
          downwardAPI: {
            items: [
              { path: 'a', fieldRef: { fieldPath: 'spec.nodeName' } },
              { path: 'b', resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } },
            ],
          },
        }),
      ).toBe('[unsupported fieldPath: spec.nodeName, container nope not found]');
    });
  });

  describe('projected', () => {
    const requests: TokenRequest[] = [];
    const issueToken = (r: TokenRequest) => {
      requests.push(r);
      return `token-for-${r.serviceAccountName}`;
    };
    beforeEach(() => (requests.length = 0));

    it('merges sources in order, later ones winning, under the volume defaultMode', () => {
      expect(
        files(
          {
            name: 'p',
            projected: {
              defaultMode: 0o440,
              sources: [
                { configMap: { name: 'app', items: [{ key: 'app.conf', path: 'conf' }] } },
                {
                  secret: {
                    name: 'tls',
                    items: [
                      { key: 'tls.crt', path: 'conf' },
                      { key: 'tls.key', path: 'key', mode: 0o400 },
                    ],
                  },
                },
                {
                  downwardAPI: {
                    items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }],
                  },
                },
                {
                  serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 600 },
                },
              ],
            },
          },
          { issueToken },
        ),
      ).toEqual([
        ['conf', 'CRT', '440'],
        ['key', 'KEY', '400'],
        ['ns', 'shop', '440'],
        ['token', 'token-for-builder', '440'],
      ]);
      expect(requests).toEqual([
        {
          namespace: 'shop',
          serviceAccountName: 'builder',
          audiences: ['vault'],
          expirationSeconds: 600,
          boundObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'u-1' },
        },
      ]);
    });

    it('token defaults: API audiences, one hour, default account; 0640 with an fsGroup', () => {
      const fsPod = pod({ serviceAccountName: undefined, securityContext: { fsGroup: 1 } });
      expect(
        files(
          { name: 'p', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
          { pod: fsPod, issueToken },
        ),
      ).toEqual([['token', 'token-for-default', '640']]);
      expect(requests[0]).toMatchObject({ audiences: [], expirationSeconds: 3600 });
    });

    it('aggregates failures of its sources; optional ones are skipped', () => {
      expect(
        error({
          name: 'p',
          projected: {
            sources: [
              { configMap: { name: 'nope' } },
              { secret: { name: 'nope', optional: true } },
              { secret: { name: 'gone' } },
            ],
          },
        }),
      ).toBe('[configmap "nope" not found, secret "gone" not found]');
      expect(
        error({ name: 'p', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }),
      ).toBe('no service account token issuer is configured');
    });
  });

  it('other volume types are not for it', () => {
    expect(error({ name: 'scratch', emptyDir: {} })).toBe(
      'volume "scratch" is not a configMap, secret, downwardAPI or projected volume',
    );
  });
});
