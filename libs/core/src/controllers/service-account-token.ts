/**
 * Legacy service account token Secrets (Kubernetes' TokensController, the
 * kube-controller-manager "serviceaccount-token" controller): a Secret of type
 * `kubernetes.io/service-account-token` annotated `kubernetes.io/service-account.name: <sa>`
 * gets `data.token` (a signed, non-expiring JWT with the legacy claims), `data.ca.crt`,
 * `data.namespace` and the account's uid annotation. One naming an account that does not
 * exist (or another account of that name: the uid annotation differs) is deleted, and so
 * are an account's token Secrets when it goes. Pure: signing, reads and writes are the
 * caller's.
 */
import type { KubeObject } from '../api/types';
import {
  SECRET_TYPES,
  SERVICE_ACCOUNT_NAME_KEY,
  SERVICE_ACCOUNT_UID_KEY,
} from '../resources/secret';
import { serviceAccountUsername } from '../resources/token-request';

/** The `iss` of legacy tokens, as Kubernetes writes it. */
export const LEGACY_TOKEN_ISSUER = 'kubernetes/serviceaccount';
export const TOKEN_DATA_KEY = 'token';
export const CA_DATA_KEY = 'ca.crt';
export const NAMESPACE_DATA_KEY = 'namespace';

const CLAIM = 'kubernetes.io/serviceaccount';

/** The claims of a legacy token (k8s.io/kubernetes/pkg/serviceaccount legacyPrivateClaims). */
export interface LegacyTokenClaims {
  iss: typeof LEGACY_TOKEN_ISSUER;
  sub: string;
  'kubernetes.io/serviceaccount/namespace': string;
  'kubernetes.io/serviceaccount/secret.name': string;
  'kubernetes.io/serviceaccount/service-account.name': string;
  'kubernetes.io/serviceaccount/service-account.uid': string;
}

/** What a legacy token names, once its claims are checked to be there. */
export interface LegacyTokenSubject {
  namespace: string;
  secretName: string;
  accountName: string;
  accountUid: string;
}

export function legacyTokenClaims(account: KubeObject, secretName: string): LegacyTokenClaims {
  const namespace = account.metadata.namespace ?? '';
  const name = account.metadata.name ?? '';
  return {
    iss: LEGACY_TOKEN_ISSUER,
    sub: serviceAccountUsername(namespace, name),
    [`${CLAIM}/namespace`]: namespace,
    [`${CLAIM}/secret.name`]: secretName,
    [`${CLAIM}/service-account.name`]: name,
    [`${CLAIM}/service-account.uid`]: account.metadata.uid ?? '',
  } as LegacyTokenClaims;
}

/** The subject of verified legacy claims; undefined when one is missing or inconsistent. */
export function legacyTokenSubject(
  claims: Record<string, unknown>,
): LegacyTokenSubject | undefined {
  const get = (k: string) => {
    const v = claims[`${CLAIM}/${k}`];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const namespace = get('namespace');
  const secretName = get('secret.name');
  const accountName = get('service-account.name');
  const accountUid = get('service-account.uid');
  if (!namespace || !secretName || !accountName || !accountUid) return undefined;
  if (claims.sub !== serviceAccountUsername(namespace, accountName)) return undefined;
  return { namespace, secretName, accountName, accountUid };
}

export function isTokenSecret(secret: KubeObject): boolean {
  return (secret as { type?: unknown }).type === SECRET_TYPES.serviceAccountToken;
}

/** The account a token Secret names (its uid only when the annotation holds one). */
export function tokenSecretAccount(secret: KubeObject): { name: string; uid?: string } {
  const annotations = secret.metadata.annotations ?? {};
  const uid = annotations[SERVICE_ACCOUNT_UID_KEY];
  return { name: annotations[SERVICE_ACCOUNT_NAME_KEY] ?? '', ...(uid ? { uid } : {}) };
}

function dataOf(secret: KubeObject): Record<string, string> {
  const data = (secret as { data?: unknown }).data;
  return data && typeof data === 'object' ? (data as Record<string, string>) : {};
}

export type TokenSecretDecision =
  { action: 'none' } | { action: 'delete'; reason: string } | { action: 'fill' };

/**
 * What the controller does with one Secret, given the account it names as it is now
 * (undefined: there is none) and the API's CA (undefined: no ca.crt to give).
 */
export function decideTokenSecret(
  secret: KubeObject,
  account: KubeObject | undefined,
  caPem: string | undefined,
): TokenSecretDecision {
  if (!isTokenSecret(secret) || secret.metadata.deletionTimestamp) return { action: 'none' };
  const named = tokenSecretAccount(secret);
  const where = `${secret.metadata.namespace}/${named.name}`;
  if (!account) return { action: 'delete', reason: `service account ${where} does not exist` };
  if (named.uid && named.uid !== account.metadata.uid)
    return {
      action: 'delete',
      reason: `service account ${where} has uid ${account.metadata.uid}, not ${named.uid}`,
    };
  const data = dataOf(secret);
  const needs =
    !data[TOKEN_DATA_KEY] ||
    !data[NAMESPACE_DATA_KEY] ||
    (caPem !== undefined && !data[CA_DATA_KEY]) ||
    !named.uid;
  return needs ? { action: 'fill' } : { action: 'none' };
}

/**
 * `secret` (a copy) with what it lacks: `token` (the signed `token` given, used only when
 * the Secret has none), `ca.crt`, `namespace`, and both account annotations. Data the
 * Secret already holds is kept, as Kubernetes' controller keeps it.
 */
export function fillTokenSecret(
  secret: KubeObject,
  account: KubeObject,
  token: string,
  caPem: string | undefined,
): KubeObject {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const data = { ...dataOf(secret) };
  if (!data[TOKEN_DATA_KEY]) data[TOKEN_DATA_KEY] = b64(token);
  if (!data[NAMESPACE_DATA_KEY]) data[NAMESPACE_DATA_KEY] = b64(account.metadata.namespace ?? '');
  if (caPem !== undefined && !data[CA_DATA_KEY]) data[CA_DATA_KEY] = b64(caPem);
  return {
    ...secret,
    metadata: {
      ...secret.metadata,
      annotations: {
        ...secret.metadata.annotations,
        [SERVICE_ACCOUNT_NAME_KEY]: account.metadata.name ?? '',
        [SERVICE_ACCOUNT_UID_KEY]: account.metadata.uid ?? '',
      },
    },
    data,
  } as KubeObject;
}

/** The token Secrets of `account` among `secrets` (its name, and its uid or none). */
export function tokenSecretsOf(account: KubeObject, secrets: readonly KubeObject[]): KubeObject[] {
  return secrets.filter((s) => {
    if (!isTokenSecret(s) || s.metadata.namespace !== account.metadata.namespace) return false;
    const named = tokenSecretAccount(s);
    return (
      named.name === account.metadata.name && (!named.uid || named.uid === account.metadata.uid)
    );
  });
}

/** The token a Secret holds (decoded `data.token`), or undefined. */
export function secretToken(secret: KubeObject): string | undefined {
  const v = dataOf(secret)[TOKEN_DATA_KEY];
  if (typeof v !== 'string' || v === '') return undefined;
  return Buffer.from(v, 'base64').toString('utf8');
}
