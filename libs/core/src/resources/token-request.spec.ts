import {
  API_AUDIENCE,
  parseTokenRequest,
  SERVICE_ACCOUNT_ISSUER,
  serviceAccountClaims,
  serviceAccountGroups,
} from './token-request';

describe('parseTokenRequest', () => {
  it('defaults to the API audience and one hour', () => {
    expect(parseTokenRequest({}, 'bot')).toEqual({
      audiences: [API_AUDIENCE],
      expirationSeconds: 3600,
    });
  });

  it('takes audiences, a duration of at least 10 minutes, and a Pod to bind to', () => {
    expect(
      parseTokenRequest(
        {
          spec: {
            audiences: ['vault'],
            expirationSeconds: 600,
            boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'u1' },
          },
        },
        'bot',
      ),
    ).toEqual({
      audiences: ['vault'],
      expirationSeconds: 600,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'u1' },
    });
  });

  it('refuses short durations and other bound kinds, naming the field', () => {
    expect(() => parseTokenRequest({ spec: { expirationSeconds: 599 } }, 'bot')).toThrow(
      'TokenRequest.authentication.k8s.io "bot" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
    );
    expect(() =>
      parseTokenRequest({ spec: { boundObjectRef: { kind: 'Node', name: 'n' } } }, 'bot'),
    ).toThrow('spec.boundObjectRef: Unsupported value');
  });
});

describe('serviceAccountClaims', () => {
  it("carries Kubernetes' claims: subject, audience, lifetime, account and pod", () => {
    const account = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'bot', namespace: 'a1', uid: 'sa-uid' },
    };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', uid: 'pod-uid' } };
    const spec = { audiences: [API_AUDIENCE], expirationSeconds: 600 };
    expect(serviceAccountClaims(account, spec, pod, 1000, 'j1')).toEqual({
      iss: SERVICE_ACCOUNT_ISSUER,
      sub: 'system:serviceaccount:a1:bot',
      aud: [API_AUDIENCE],
      exp: 1600,
      iat: 1000,
      nbf: 1000,
      jti: 'j1',
      'kubernetes.io': {
        namespace: 'a1',
        serviceaccount: { name: 'bot', uid: 'sa-uid' },
        pod: { name: 'web', uid: 'pod-uid' },
      },
    });
    expect(serviceAccountGroups('a1')).toEqual([
      'system:serviceaccounts',
      'system:serviceaccounts:a1',
    ]);
  });
});
