/**
 * Bodies captured from the real kubectl 1.32 (a plain-HTTP stub server answering discovery
 * and recording POSTs), each compared with what the same kubectl prints for the same
 * command with `--dry-run=client -o json`, i.e. Kubernetes' own JSON for that object. The
 * only difference allowed is a `null` (`creationTimestamp: null`, `rules: null`: the zero time
 * and a nil slice without `omitempty`), which the decoder omits.
 */
import { decodeKubernetesProtobuf } from './decode';
import { FIXTURES, FIXTURES_133, REVIEWS } from './test-fixtures';
import { apiErrorOf, fromBase64, k8s, pb, withoutNulls } from './test-helpers';

describe('protobuf bodies captured from kubectl 1.32', () => {
  it.each(FIXTURES)('kubectl $command decodes to the JSON kubectl itself prints', (f) => {
    expect(decodeKubernetesProtobuf(fromBase64(f.body))).toStrictEqual(withoutNulls(f.json));
  });

  it.each(FIXTURES_133)('kubectl 1.33 $command decodes to the JSON kubectl itself prints', (f) => {
    expect(decodeKubernetesProtobuf(fromBase64(f.body))).toStrictEqual(withoutNulls(f.json));
  });

  it.each(REVIEWS)('kubectl $command decodes to the review Kubernetes would read', (f) => {
    expect(decodeKubernetesProtobuf(fromBase64(f.body))).toStrictEqual(JSON.parse(f.json));
  });

  it('answers a kind without a descriptor (tenancy.berth.dev) with 415 and a way out', () => {
    const body = k8s('tenancy.berth.dev/v1', 'Tenant', pb.message(1, pb.string(1, 't')));
    const err = apiErrorOf(() => decodeKubernetesProtobuf(body));
    expect(err.code).toBe(415);
    expect(err.reason).toBe('UnsupportedMediaType');
    expect(err.message).toMatch(
      /^protobuf bodies for tenancy\.berth\.dev\/v1 Tenant are not supported by this server; send JSON \(kubectl: /,
    );
  });

  it('keeps exactly the fields kubectl set, in plain JSON values', () => {
    const web = decodeKubernetesProtobuf(fromBase64(FIXTURES[1].body));
    // Round-trips through JSON unchanged: no BigInts, no undefined, no typed arrays.
    expect(JSON.parse(JSON.stringify(web))).toEqual(web);
  });
});
