/**
 * authentication.k8s.io/v1 TokenRequest, the `serviceaccounts/{name}/token` subresource:
 * what a request may ask for (validated as kube-apiserver does) and the claims of the
 * token it returns (Kubernetes' bound service account token claims). Pure: signing and
 * verifying happen in the API.
 */
import { errors, type StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';

/** The `iss` of Berth's service account tokens (distinct from session JWTs). */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc/berth/serviceaccount';
/** The audience the API accepts; tokens asked for other audiences are for someone else. */
export const API_AUDIENCE = 'https://kubernetes.default.svc';
export const DEFAULT_TOKEN_SECONDS = 3600;
export const MIN_TOKEN_SECONDS = 600;
/** Kubernetes' upper bound (2^32 seconds). */
export const MAX_TOKEN_SECONDS = 4294967296;

export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef?: { kind: 'Pod'; apiVersion: string; name: string; uid?: string };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The spec of a TokenRequest body, with defaults; 422 (field causes) when it is wrong. */
export function parseTokenRequest(body: unknown, name: string): TokenRequestSpec {
  const causes: StatusCause[] = [];
  const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
  let audiences = [API_AUDIENCE];
  if (spec.audiences !== undefined && spec.audiences !== null) {
    if (
      !Array.isArray(spec.audiences) ||
      spec.audiences.some((a) => typeof a !== 'string' || a === '')
    )
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.audiences',
        message: 'Invalid value: must be a list of non-empty strings',
      });
    else if (spec.audiences.length) audiences = spec.audiences as string[];
  }
  let expirationSeconds = DEFAULT_TOKEN_SECONDS;
  const exp = spec.expirationSeconds;
  if (exp !== undefined && exp !== null) {
    if (typeof exp !== 'number' || !Number.isInteger(exp))
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${JSON.stringify(exp)}: must be a whole number of seconds`,
      });
    else if (exp < MIN_TOKEN_SECONDS)
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${exp}: may not specify a duration less than 10 minutes`,
      });
    else if (exp > MAX_TOKEN_SECONDS)
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${exp}: may not specify a duration larger than 2^32 seconds`,
      });
    else expirationSeconds = exp;
  }
  let boundObjectRef: TokenRequestSpec['boundObjectRef'];
  const ref = spec.boundObjectRef;
  if (ref !== undefined && ref !== null) {
    if (!isObject(ref) || ref.kind !== 'Pod' || typeof ref.name !== 'string' || !ref.name)
      causes.push({
        reason: 'FieldValueNotSupported',
        field: 'spec.boundObjectRef',
        message:
          'Unsupported value: a token can be bound to a Pod only: {"kind": "Pod", "apiVersion": "v1", "name": "…"}',
      });
    else
      boundObjectRef = {
        kind: 'Pod',
        apiVersion: typeof ref.apiVersion === 'string' ? ref.apiVersion : 'v1',
        name: ref.name,
        ...(typeof ref.uid === 'string' && ref.uid ? { uid: ref.uid } : {}),
      };
  }
  if (causes.length) throw errors.invalid('TokenRequest', name, causes, 'authentication.k8s.io');
  return { audiences, expirationSeconds, ...(boundObjectRef ? { boundObjectRef } : {}) };
}

/** What Berth puts in a service account token, beside the registered JWT claims. */
export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
  };
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The groups a service account authenticates in (plus `system:authenticated`). */
export function serviceAccountGroups(namespace: string): string[] {
  return [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** The claims of a token for `account`, issued at `nowSeconds`, optionally bound to `pod`. */
export function serviceAccountClaims(
  account: KubeObject,
  spec: TokenRequestSpec,
  pod: KubeObject | undefined,
  nowSeconds: number,
  jti: string,
): ServiceAccountClaims {
  const namespace = account.metadata.namespace ?? '';
  const name = account.metadata.name ?? '';
  return {
    iss: SERVICE_ACCOUNT_ISSUER,
    sub: serviceAccountUsername(namespace, name),
    aud: spec.audiences,
    exp: nowSeconds + spec.expirationSeconds,
    iat: nowSeconds,
    nbf: nowSeconds,
    jti,
    'kubernetes.io': {
      namespace,
      serviceaccount: { name, uid: account.metadata.uid ?? '' },
      ...(pod ? { pod: { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' } } : {}),
    },
  };
}
