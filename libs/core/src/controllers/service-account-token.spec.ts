import type { KubeObject } from '../api/types';

/** A Secret's data map. */
const dataOf = (o: KubeObject) => (o as unknown as { data: Record<string, string> }).data;
import {
  decideTokenSecret,
  fillTokenSecret,
  legacyTokenClaims,
  legacyTokenSubject,
  secretToken,
  tokenSecretsOf,
} from './service-account-token';

const account = (name = 'bot', uid = 'uid-1', namespace = 'team'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace, uid },
});

function tokenSecret(
  name: string,
  annotations: Record<string, string>,
  data?: Record<string, string>,
  type = 'kubernetes.io/service-account-token',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'team', annotations },
    type,
    ...(data ? { data } : {}),
  } as KubeObject;
}

const NAME = 'kubernetes.io/service-account.name';
const UID = 'kubernetes.io/service-account.uid';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('legacy service account token Secrets', () => {
  it('signs the legacy claims and reads them back; anything missing or inconsistent is refused', () => {
    const claims = legacyTokenClaims(account(), 'bot-token');
    expect(claims).toEqual({
      iss: 'kubernetes/serviceaccount',
      sub: 'system:serviceaccount:team:bot',
      'kubernetes.io/serviceaccount/namespace': 'team',
      'kubernetes.io/serviceaccount/secret.name': 'bot-token',
      'kubernetes.io/serviceaccount/service-account.name': 'bot',
      'kubernetes.io/serviceaccount/service-account.uid': 'uid-1',
    });
    expect(legacyTokenSubject({ ...claims })).toEqual({
      namespace: 'team',
      secretName: 'bot-token',
      accountName: 'bot',
      accountUid: 'uid-1',
    });
    expect(legacyTokenSubject({ ...claims, sub: 'system:serviceaccount:team:admin' })).toBe(
      undefined,
    );
    for (const k of Object.keys(claims).filter((k) => k.startsWith('kubernetes.io/'))) {
      expect(legacyTokenSubject({ ...claims, [k]: '' })).toBe(undefined);
      expect(legacyTokenSubject({ ...claims, [k]: 7 })).toBe(undefined);
    }
  });

  it('fills a new Secret of an existing account, and then leaves it alone', () => {
    const s = tokenSecret('t', { [NAME]: 'bot' });
    expect(decideTokenSecret(s, account(), 'PEM')).toEqual({ action: 'fill' });
    const filled = fillTokenSecret(s, account(), 'jwt.value.sig', 'PEM');
    expect(dataOf(filled)).toEqual({
      token: b64('jwt.value.sig'),
      namespace: b64('team'),
      'ca.crt': b64('PEM'),
    });
    expect(filled.metadata.annotations).toEqual({ [NAME]: 'bot', [UID]: 'uid-1' });
    expect(s.metadata.annotations).toEqual({ [NAME]: 'bot' }); // not mutated
    expect(secretToken(filled)).toBe('jwt.value.sig');
    expect(decideTokenSecret(filled, account(), 'PEM')).toEqual({ action: 'none' });
    // Without a CA there is no ca.crt to give, and none is asked for.
    const noCa = fillTokenSecret(s, account(), 'x', undefined);
    expect(Object.keys(dataOf(noCa))).toEqual(['token', 'namespace']);
    expect(decideTokenSecret(noCa, account(), undefined)).toEqual({ action: 'none' });
  });

  it('keeps data the Secret has, refilling only what was removed', () => {
    const s = tokenSecret(
      't',
      { [NAME]: 'bot', [UID]: 'uid-1' },
      {
        token: b64('kept'),
        namespace: b64('team'),
        'ca.crt': b64('PEM'),
        extra: b64('x'),
      },
    );
    expect(decideTokenSecret(s, account(), 'PEM')).toEqual({ action: 'none' });
    const { token: _t, ...rest } = dataOf(s);
    const without = { ...s, data: rest } as KubeObject;
    expect(decideTokenSecret(without, account(), 'PEM')).toEqual({ action: 'fill' });
    const refilled = fillTokenSecret(without, account(), 'new', 'OTHER PEM');
    expect(dataOf(refilled)).toEqual({
      ...rest,
      token: b64('new'),
    });
  });

  it('deletes a Secret whose account is missing or is another account of that name', () => {
    const s = tokenSecret('t', { [NAME]: 'ghost' });
    expect(decideTokenSecret(s, undefined, 'PEM')).toEqual({
      action: 'delete',
      reason: 'service account team/ghost does not exist',
    });
    const stale = tokenSecret('t', { [NAME]: 'bot', [UID]: 'uid-0' });
    expect(decideTokenSecret(stale, account(), 'PEM')).toEqual({
      action: 'delete',
      reason: 'service account team/bot has uid uid-1, not uid-0',
    });
  });

  it('ignores other Secret types and Secrets being deleted', () => {
    expect(
      decideTokenSecret(tokenSecret('o', { [NAME]: 'bot' }, {}, 'Opaque'), undefined, 'P'),
    ).toEqual({
      action: 'none',
    });
    const going = tokenSecret('t', { [NAME]: 'bot' });
    going.metadata.deletionTimestamp = '2026-12-07T00:00:00Z';
    expect(decideTokenSecret(going, undefined, 'P')).toEqual({ action: 'none' });
  });

  it("finds an account's token Secrets by name and uid", () => {
    const secrets = [
      tokenSecret('mine', { [NAME]: 'bot', [UID]: 'uid-1' }),
      tokenSecret('unfilled', { [NAME]: 'bot' }),
      tokenSecret('older-bot', { [NAME]: 'bot', [UID]: 'uid-0' }),
      tokenSecret('other', { [NAME]: 'robot' }),
      tokenSecret('opaque', { [NAME]: 'bot' }, {}, 'Opaque'),
      {
        ...tokenSecret('elsewhere', { [NAME]: 'bot' }),
        metadata: { name: 'x', namespace: 'b', annotations: { [NAME]: 'bot' } },
      } as KubeObject,
    ];
    expect(tokenSecretsOf(account(), secrets).map((s) => s.metadata.name)).toEqual([
      'mine',
      'unfilled',
    ]);
  });
});
