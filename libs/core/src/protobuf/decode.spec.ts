import { decodeKubernetesProtobuf, isKubernetesProtobuf } from './decode';
import { apiErrorOf, k8s, pb, type Bytes } from './test-helpers';

const decode = decodeKubernetesProtobuf;

/** ObjectMeta as Go writes it: every non-pointer field present, empty or not. */
const meta = (name: string, namespace = '', ...more: Bytes[]): Bytes =>
  pb.message(
    1,
    pb.string(1, name),
    pb.string(2, ''),
    pb.string(3, namespace),
    pb.string(4, ''),
    pb.string(5, ''),
    pb.string(6, ''),
    pb.int(7, 0),
    pb.bytes(8, []),
    ...more,
  );

describe('isKubernetesProtobuf', () => {
  it.each([
    ['application/vnd.kubernetes.protobuf', true],
    ['application/vnd.kubernetes.protobuf; charset=utf-8', true],
    ['Application/VND.Kubernetes.Protobuf', true],
    ['application/vnd.kubernetes.protobuf;stream=watch', true],
    ['application/json', false],
    ['application/vnd.kubernetes.protobuf+json', false],
    ['application/apply-patch+yaml', false],
    ['', false],
  ])('%j → %s', (contentType, expected) => {
    expect(isKubernetesProtobuf(contentType)).toBe(expected);
  });
});

describe('decodeKubernetesProtobuf: the envelope', () => {
  it('refuses a body without the k8s\\0 magic with 400', () => {
    for (const body of [
      new Uint8Array(),
      Uint8Array.from([0x6b, 0x38, 0x73]),
      new TextEncoder().encode('{"kind":"Namespace"}'),
      Uint8Array.from([0x6b, 0x38, 0x73, 0x01, 0x0a, 0x00]),
    ]) {
      const err = apiErrorOf(() => decode(body));
      expect(err.code).toBe(400);
      expect(err.message).toContain('magic');
    }
  });

  it('needs apiVersion and kind', () => {
    const body = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...pb.bytes(2, [])]);
    expect(apiErrorOf(() => decode(body)).message).toMatch(/apiVersion and kind/);
    expect(apiErrorOf(() => decode(k8s('v1', '', []))).code).toBe(400);
  });

  it('answers kinds it has no descriptor for with 415 UnsupportedMediaType', () => {
    const err = apiErrorOf(() => decode(k8s('apps/v1', 'Foo', [])));
    expect(err.code).toBe(415);
    expect(err.reason).toBe('UnsupportedMediaType');
    expect(err.message).toMatch(
      /^protobuf bodies for apps\/v1 Foo are not supported by this server; send JSON \(kubectl: /,
    );
    // The apiVersion matters: core kinds live at `v1`, not under a group.
    expect(apiErrorOf(() => decode(k8s('core/v1', 'Namespace', []))).code).toBe(415);
    expect(apiErrorOf(() => decode(k8s('v1', 'Deployment', []))).code).toBe(415);
    // Names of Object.prototype are not kinds.
    expect(apiErrorOf(() => decode(k8s('v1', 'constructor', []))).code).toBe(415);
    expect(apiErrorOf(() => decode(k8s('toString', 'x', []))).code).toBe(415);
  });

  it('refuses compressed or non-protobuf payloads inside the envelope with 415', () => {
    const gzip = k8s('v1', 'Namespace', [], pb.string(3, 'gzip'));
    expect(apiErrorOf(() => decode(gzip)).code).toBe(415);
    const json = k8s('v1', 'Namespace', [], pb.string(4, 'application/json'));
    expect(apiErrorOf(() => decode(json)).code).toBe(415);
  });

  it('accepts an explicit protobuf content type, empty fields and unknown envelope fields', () => {
    const body = k8s(
      'v1',
      'Namespace',
      meta('demo'),
      pb.string(3, ''),
      pb.string(4, 'application/vnd.kubernetes.protobuf'),
      pb.int(9, 7),
    );
    expect(decode(body)).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo' },
    });
  });

  it('decodes an empty object to just its type', () => {
    expect(decode(k8s('v1', 'Namespace', []))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
    });
  });
});

describe('decodeKubernetesProtobuf: values', () => {
  const ns = (...metaFields: Bytes[]) =>
    decode(k8s('v1', 'Namespace', pb.message(1, ...metaFields))).metadata as Record<
      string,
      unknown
    >;
  const pod = (...specFields: Bytes[]) =>
    (decode(k8s('v1', 'Pod', pb.message(2, ...specFields))) as { spec: Record<string, unknown> })
      .spec;

  it('reads negative and ten-byte integers as Go does', () => {
    expect(pod(pb.int(25, -5)).priority).toBe(-5);
    expect(pod(pb.int(25, 2147483647)).priority).toBe(2147483647);
    // int32(v) keeps the low 32 bits.
    expect(pod(pb.int(25, 2 ** 32 + 7)).priority).toBe(7);
    expect(pod(pb.int(4, -1)).terminationGracePeriodSeconds).toBe(-1);
    expect(pod(pb.int(4, Number.MAX_SAFE_INTEGER)).terminationGracePeriodSeconds).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('refuses int64 values JSON numbers cannot hold exactly', () => {
    const err = apiErrorOf(() => pod(pb.int(4, 2n ** 60n)));
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/terminationGracePeriodSeconds.*too large/);
  });

  it('formats metav1.Time as RFC 3339 seconds in UTC, and omits the zero time', () => {
    expect(ns(pb.time(8, 1714564800)).creationTimestamp).toBe('2024-05-01T12:00:00Z');
    // Nanoseconds are dropped, as Kubernetes does for Time.
    expect(ns(pb.message(8, pb.int(1, 1714564800), pb.int(2, 999_000_000))).creationTimestamp).toBe(
      '2024-05-01T12:00:00Z',
    );
    expect(ns(pb.time(8, -86400)).creationTimestamp).toBe('1969-12-31T00:00:00Z');
    expect(ns(pb.bytes(8, [])).creationTimestamp).toBeUndefined();
    expect('creationTimestamp' in ns(pb.bytes(8, []))).toBe(false);
    expect(apiErrorOf(() => ns(pb.time(8, 253402300800))).code).toBe(400); // year 10000
  });

  it('turns IntOrString into a number or a string', () => {
    const port = (v: Bytes) =>
      (
        decode(k8s('v1', 'Service', pb.message(2, pb.message(1, pb.int(3, 80), v)))) as {
          spec: { ports: Array<Record<string, unknown>> };
        }
      ).spec.ports[0].targetPort;
    expect(port(pb.intOrString(4, 8080))).toBe(8080);
    expect(port(pb.intOrString(4, 'http'))).toBe('http');
    expect(port(pb.intOrString(4, 0))).toBe(0);
    expect(port(pb.message(4))).toBe(0);
    expect(port(pb.message(4, pb.int(1, 1)))).toBe('');
    expect(apiErrorOf(() => port(pb.message(4, pb.int(1, 2)))).message).toMatch(/IntOrString/);
  });

  it('keeps quantities as written, and a quantity without a string as "0"', () => {
    const hard = (...entries: Bytes[]) =>
      (decode(k8s('v1', 'ResourceQuota', pb.message(2, ...entries))) as { spec: { hard: unknown } })
        .spec.hard;
    expect(
      hard(pb.quantityEntry(1, 'memory', '1.5Gi'), pb.quantityEntry(1, 'cpu', '100m')),
    ).toEqual({
      memory: '1.5Gi',
      cpu: '100m',
    });
    expect(hard(pb.message(1, pb.string(1, 'pods'), pb.message(2)))).toEqual({ pods: '0' });
    expect(hard(pb.message(1, pb.string(1, 'pods')))).toEqual({ pods: '0' });
  });

  it('builds maps from entries: empty values kept, last duplicate wins, __proto__ is a plain key', () => {
    const labels = ns(
      pb.entry(11, 'a', '1'),
      pb.entry(11, 'empty', ''),
      pb.entry(11, 'a', '2'),
      pb.entry(11, '__proto__', 'x'),
      pb.message(11, pb.string(2, 'no-key')),
    ).labels as Record<string, unknown>;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['a', 'empty', '__proto__', '']);
    expect(labels.a).toBe('2');
    expect(labels.empty).toBe('');
    expect(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value).toBe('x');
    expect(labels['']).toBe('no-key');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('base64-encodes bytes, as Go JSON does', () => {
    const cm = decode(
      k8s('v1', 'ConfigMap', [
        ...pb.message(3, pb.string(1, 'bin'), pb.bytes(2, [0, 1, 254, 255])),
        ...pb.message(3, pb.string(1, 'empty'), pb.bytes(2, [])),
        ...pb.bool(4, false),
      ]),
    );
    expect(cm).toStrictEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      binaryData: { bin: 'AAH+/w==', empty: '' },
      immutable: false,
    });
  });

  it('drops zero values Go would omit but keeps set pointers and required fields', () => {
    const spec = pod(
      pb.string(3, ''),
      pb.bool(11, false),
      pb.int(4, 0),
      pb.bool(21, false),
      pb.message(2, pb.string(1, ''), pb.message(6, pb.int(3, 0), pb.int(2, 0))),
      pb.message(2, pb.string(1, 'b'), pb.string(4, ''), pb.string(4, 'x')),
    );
    expect(spec).toStrictEqual({
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      containers: [
        { name: '', ports: [{ containerPort: 0 }] },
        { name: 'b', args: ['', 'x'] },
      ],
    });
  });

  it('lets a later scalar replace an earlier one and merges repeated singular messages', () => {
    const meta = ns(
      pb.string(1, 'first'),
      pb.string(1, 'second'),
      pb.string(3, 'ns'),
      pb.string(3, ''),
    );
    expect(meta).toStrictEqual({ name: 'second' });
    const body = k8s('v1', 'Namespace', [
      ...pb.message(1, pb.string(1, 'n')),
      ...pb.message(1, pb.entry(11, 'a', 'b')),
    ]);
    expect(decode(body).metadata).toStrictEqual({ name: 'n', labels: { a: 'b' } });
  });

  it('skips unknown fields of every wire type, at any depth', () => {
    const unknown = [
      ...pb.int(99, 12345678901n),
      ...pb.fixed32(98),
      ...pb.fixed64(97),
      ...pb.string(96, 'ignored'),
      ...pb.message(95, pb.int(1, 1)),
    ];
    const body = k8s('v1', 'Namespace', [
      ...unknown,
      ...pb.message(1, ...[unknown], pb.string(1, 'n'), pb.message(94, pb.string(1, 'kubectl'))),
      ...pb.message(3, pb.string(1, 'Active'), unknown),
    ]);
    expect(decode(body)).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'n' },
      status: { phase: 'Active' },
    });
  });

  it('formats metav1.MicroTime with six fractional digits (a Lease)', () => {
    const micro = (field: number, seconds: number, nanos: number) =>
      pb.message(field, pb.int(1, seconds), pb.int(2, nanos));
    const body = k8s('coordination.k8s.io/v1', 'Lease', [
      ...meta('node-1', 'kube-node-lease'),
      ...pb.message(
        2,
        pb.string(1, 'node-1'),
        pb.int(2, 0),
        ...[micro(3, 1714564800, 123456789)],
        pb.message(4, pb.int(1, 1714564800)),
        pb.int(5, 0),
      ),
    ]);
    expect(decode(body).spec).toStrictEqual({
      holderIdentity: 'node-1',
      // Pointers in Go: a zero that arrives is kept.
      leaseDurationSeconds: 0,
      acquireTime: '2024-05-01T12:00:00.123456Z',
      renewTime: '2024-05-01T12:00:00.000000Z',
      leaseTransitions: 0,
    });
    const empty = k8s('coordination.k8s.io/v1', 'Lease', pb.message(2, pb.bytes(3, [])));
    expect(decode(empty).spec).toStrictEqual({});
  });

  it('turns a Go named slice (ExtraValue) into its list, also as a map value', () => {
    const body = k8s('authentication.k8s.io/v1', 'SelfSubjectReview', [
      ...pb.message(
        2,
        pb.message(
          1,
          pb.string(1, 'dave'),
          pb.message(
            4,
            pb.string(1, 'scopes'),
            pb.message(2, pb.string(1, 'a'), pb.string(1, 'b')),
          ),
          pb.message(4, pb.string(1, 'none')),
        ),
      ),
    ]);
    expect(decode(body).status).toStrictEqual({
      userInfo: { username: 'dave', extra: { scopes: ['a', 'b'], none: null } },
    });
  });

  it('embeds RawExtension bytes as the JSON they hold, and refuses bytes that are not JSON', () => {
    const revision = (raw: Bytes) =>
      k8s('apps/v1', 'ControllerRevision', [...meta('r1', 'demo'), ...raw, ...pb.int(3, 0)]);
    const json = new TextEncoder().encode('{"spec":{"replicas":2}}');
    expect(decode(revision(pb.message(2, pb.bytes(1, json))))).toMatchObject({
      data: { spec: { replicas: 2 } },
      revision: 0,
    });
    expect(decode(revision(pb.message(2)))).not.toHaveProperty('data');
    const err = apiErrorOf(() => decode(revision(pb.message(2, pb.bytes(1, [0x0a, 0x00])))));
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/embedded object is not JSON.*\bdata\b/);
  });

  it('reads DeleteOptions sent to any group version, keeping a zero grace period', () => {
    for (const apiVersion of ['v1', 'apps/v1', 'rbac.authorization.k8s.io/v1']) {
      const body = k8s(apiVersion, 'DeleteOptions', [
        ...pb.int(1, 0),
        ...pb.message(2, pb.string(1, 'uid-1')),
        ...pb.string(4, 'Foreground'),
        ...pb.string(5, 'All'),
      ]);
      expect(decode(body)).toStrictEqual({
        apiVersion,
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: 'uid-1' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      });
    }
  });

  it('drops a zero Scale replicas (not a pointer in autoscaling/v1), as Go JSON does', () => {
    const scale = (n: number) =>
      k8s('autoscaling/v1', 'Scale', [...meta('web', 'demo'), ...pb.message(2, pb.int(1, n))]);
    expect(decode(scale(4)).spec).toStrictEqual({ replicas: 4 });
    expect(decode(scale(0)).spec).toStrictEqual({});
  });

  it('replaces invalid UTF-8 with U+FFFD, as Go JSON does', () => {
    expect(ns(pb.bytes(1, [0x61, 0xff, 0x62])).name).toBe('a\uFFFDb');
  });
});

describe('decodeKubernetesProtobuf: malformed bodies', () => {
  const expect400 = (raw: Bytes, pattern: RegExp) => {
    const err = apiErrorOf(() => decode(k8s('apps/v1', 'Deployment', raw)));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toMatch(pattern);
  };

  it('names the wire type mismatch and where it happened', () => {
    expect400(
      pb.message(2, pb.string(1, '3')),
      /field replicas \(int32\) arrived as length-delimited.*in spec/,
    );
    expect400(
      pb.message(2, pb.message(3, pb.message(2, pb.message(2, pb.int(1, 5))))),
      /field name \(string\) arrived as varint.*in spec\.template\.spec\.containers\[0\]/,
    );
    expect400(pb.message(1, pb.int(11, 1)), /field labels \(map\)/);
  });

  it('refuses truncated varints, lengths past the end, groups and field number 0', () => {
    expect400([0xf8, 0x01, 0x80], /truncated varint/); // unknown field 31
    expect400(pb.message(2, [0x08, 0xff, 0xff]), /truncated varint.*in spec/);
    expect400([0x12, 0x05, 0x08], /length 5 runs past the end/);
    expect400(pb.message(2, [0x1a, 0x7f]), /length 127 runs past the end.*in spec/);
    expect400([0x0b, 0x0c], /metadata \(message\) arrived as start-group/);
    expect400([0xfb, 0x01], /unsupported start-group/);
    expect400([0x00, 0x00], /invalid field number 0/);
    expect400([0xf9, 0x01, 0x01, 0x02], /truncated 8-byte/);
    expect400([0xfd, 0x01, 0x01], /truncated 4-byte/);
    expect400([0xf8, 0x01, ...Array(11).fill(0xff), 0x01], /varint longer than 10 bytes/);
    expect400([0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /too large/);
    expect400([0xf7, 0x01], /invalid wire type 7/);
  });

  it('refuses a length that escapes the enclosing message', () => {
    // spec declares 2 bytes, and inside it strategy claims 4: it may not read past spec.
    const raw = [0x12, 0x02, 0x22, 0x04, 0x0a, 0x02, 0x61, 0x62];
    expect400(raw, /length 4 runs past the end/);
  });
});
