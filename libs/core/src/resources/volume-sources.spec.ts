import { validateProjectionVolume } from './volume-sources';

const at = 'spec.volumes[0]';
const causes = (volume: Record<string, unknown>) =>
  validateProjectionVolume(volume, at).map((c) => [c.field, c.message]);
const MODE = 'must be a number between 0 and 0777 (octal), both inclusive';

describe('validateProjectionVolume', () => {
  it('accepts well-formed sources', () => {
    expect(
      causes({
        name: 'v',
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: 'app', items: [{ key: 'a', path: 'conf/a' }] } },
            { secret: { name: 'tls', items: [{ key: 'tls.key', path: 'key', mode: 0o400 }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                  { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
                  {
                    path: 'mem',
                    resourceFieldRef: {
                      containerName: 'c',
                      resource: 'limits.memory',
                      divisor: '1Mi',
                    },
                  },
                  {
                    path: 'cpu',
                    resourceFieldRef: {
                      containerName: 'c',
                      resource: 'requests.cpu',
                      divisor: '1000m',
                    },
                  },
                ],
              },
            },
            { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
          ],
        },
      }),
    ).toEqual([]);
  });

  it('configMap and secret: names, items and modes', () => {
    expect(
      causes({ configMap: { defaultMode: 0o1000, items: [{ path: '/abs', mode: -1 }] } }),
    ).toEqual([
      ['spec.volumes[0].configMap.name', 'Required value'],
      ['spec.volumes[0].configMap.defaultMode', `Invalid value: 512: ${MODE}`],
      ['spec.volumes[0].configMap.items[0].key', 'Required value'],
      ['spec.volumes[0].configMap.items[0].path', 'Invalid value: "/abs": must be a relative path'],
      ['spec.volumes[0].configMap.items[0].mode', `Invalid value: -1: ${MODE}`],
    ]);
    expect(
      causes({
        secret: { items: [{ key: 'k', path: '../x' }, { key: 'k', path: '..x' }, { key: 'k' }] },
      }),
    ).toEqual([
      ['spec.volumes[0].secret.secretName', 'Required value'],
      ['spec.volumes[0].secret.items[0].path', 'Invalid value: "../x": must not contain \'..\''],
      ['spec.volumes[0].secret.items[1].path', 'Invalid value: "..x": must not start with \'..\''],
      ['spec.volumes[0].secret.items[2].path', 'Required value'],
    ]);
  });

  it('downwardAPI: field paths, resources and divisors (reported on the source, as Kubernetes does)', () => {
    const f = 'spec.volumes[0].downwardAPI';
    expect(
      causes({
        downwardAPI: {
          items: [
            { path: 'a', fieldRef: { fieldPath: 'spec.nodeName' } },
            { path: 'b', fieldRef: { fieldPath: "metadata.labels['bad key']" } },
            { path: 'c', resourceFieldRef: { resource: 'limits.cpu' } },
            { path: 'd', resourceFieldRef: { containerName: 'x', resource: 'limits.gpu' } },
            {
              path: 'e',
              resourceFieldRef: { containerName: 'x', resource: 'limits.cpu', divisor: '2' },
            },
            { path: 'g' },
            {
              path: 'h',
              fieldRef: { fieldPath: 'metadata.name' },
              resourceFieldRef: { containerName: 'x', resource: 'limits.cpu' },
            },
          ],
        },
      }),
    ).toEqual([
      [
        `${f}.fieldRef.fieldPath`,
        'Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
      ],
      [
        `${f}.fieldRef`,
        expect.stringMatching(
          /^Invalid value: "bad key": name part must consist of alphanumeric characters/,
        ),
      ],
      [`${f}.resourceFieldRef.containerName`, 'Required value'],
      [
        `${f}.resourceFieldRef.resource`,
        expect.stringMatching(/^Unsupported value: "limits.gpu": supported values: "limits.cpu", /),
      ],
      [
        `${f}.resourceFieldRef.divisor`,
        'Invalid value: "limits.cpu": only divisor\'s values 1m and 1 are supported with the cpu resource',
      ],
      [f, 'Required value: one of fieldRef and resourceFieldRef is required'],
      [
        f,
        'Invalid value: "resource": fieldRef and resourceFieldRef can not be specified simultaneously',
      ],
    ]);
  });

  it('projected: duplicate paths, token lifetime and path, one type per source', () => {
    const f = 'spec.volumes[0].projected';
    expect(
      causes({
        projected: {
          sources: [
            { configMap: { name: 'a', items: [{ key: 'k', path: 'same' }] } },
            { secret: { name: 'b', items: [{ key: 'k', path: 'same' }] } },
            { serviceAccountToken: { path: '', expirationSeconds: 60 } },
            { serviceAccountToken: { path: '../t', expirationSeconds: 2 ** 33 } },
            { configMap: { name: 'c' }, secret: { name: 'd' } },
          ],
        },
      }),
    ).toEqual([
      [f, 'Invalid value: "b": conflicting duplicate paths'],
      [
        `${f}.sources[2].serviceAccountToken.expirationSeconds`,
        'Invalid value: 60: may not specify a duration less than 10 minutes',
      ],
      [`${f}.path`, 'Required value'],
      [
        `${f}.sources[3].serviceAccountToken.expirationSeconds`,
        'Invalid value: 8589934592: may not specify a duration larger than 2^32 seconds',
      ],
      [`${f}.path`, 'Invalid value: "../t": must not contain \'..\''],
      [`${f}.sources[4]`, 'Forbidden: may not specify more than 1 volume type per source'],
    ]);
  });

  it('other volume kinds are not its business', () => {
    expect(causes({ name: 'x', emptyDir: {} })).toEqual([]);
  });
});
