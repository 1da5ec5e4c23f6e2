import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import {
  API_AUDIENCE,
  errors,
  findResource,
  formatTimestamp,
  LEGACY_TOKEN_ISSUER,
  legacyTokenSubject,
  parseTokenRequest,
  secretToken,
  SERVICE_ACCOUNT_ISSUER,
  serviceAccountClaims,
  serviceAccountGroups,
  serviceAccountUsername,
  tokenSecretAccount,
  type KubeObject,
  type LegacyTokenSubject,
  type ServiceAccountClaims,
} from '@berth/core';
import { Registry } from '@berth/registry';
import { PolicyCache } from './policy-cache';
import { AUTHENTICATED, type Principal } from './principal';

const SERVICE_ACCOUNTS = findResource('', 'v1', 'serviceaccounts')!;
const PODS = findResource('', 'v1', 'pods')!;
const SECRETS = findResource('', 'v1', 'secrets')!;

/**
 * True when a bearer JWT says it is a service account token, bound or legacy (not yet
 * verified).
 */
export function isServiceAccountToken(jwt: JwtService, token: string): boolean {
  const claims = jwt.decode<{ iss?: unknown } | null>(token);
  return claims?.iss === SERVICE_ACCOUNT_ISSUER || claims?.iss === LEGACY_TOKEN_ISSUER;
}

/**
 * Service account tokens (Kubernetes' TokenRequest API and its token authenticator): JWTs
 * signed with the API's key, issued by `POST …/serviceaccounts/{name}/token`, bound to the
 * account (by uid) and optionally a pod (by uid). Every request checks both still exist,
 * so a token dies with its pod and with its account. A service account acts inside its
 * namespace's tenant only, as a token scoped to that tenant does.
 */
@Injectable()
export class ServiceAccountTokens {
  constructor(
    private readonly jwt: JwtService,
    private readonly registry: Registry,
    private readonly policy: PolicyCache,
  ) {}

  /** The TokenRequest answered for `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token`. */
  async request(namespace: string, name: string, body: unknown): Promise<KubeObject> {
    const spec = parseTokenRequest(body, name);
    const account = await this.registry.get(SERVICE_ACCOUNTS, namespace, name);
    let pod: KubeObject | undefined;
    if (spec.boundObjectRef) {
      const ref = spec.boundObjectRef;
      pod = await this.registry.get(PODS, namespace, ref.name);
      if (ref.uid && ref.uid !== pod.metadata.uid)
        throw errors.conflict(
          'pods',
          ref.name,
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record (${pod.metadata.uid}); the object might have been deleted and then recreated`,
        );
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = serviceAccountClaims(account, spec, pod, now, randomUUID());
    const token = await this.jwt.signAsync(claims, { algorithm: 'HS256' });
    return {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace, creationTimestamp: formatTimestamp(new Date(now * 1000)) },
      spec: {
        audiences: spec.audiences,
        expirationSeconds: spec.expirationSeconds,
        boundObjectRef: spec.boundObjectRef ?? null,
      },
      status: { token, expirationTimestamp: formatTimestamp(new Date(claims.exp * 1000)) },
    };
  }

  /** The principal behind a service account token; 401 with the reason otherwise. */
  async authenticate(token: string): Promise<Principal> {
    if (this.jwt.decode<{ iss?: unknown } | null>(token)?.iss === LEGACY_TOKEN_ISSUER)
      return this.authenticateLegacy(token);
    let claims: ServiceAccountClaims;
    try {
      claims = await this.jwt.verifyAsync<ServiceAccountClaims>(token, {
        algorithms: ['HS256'],
        issuer: SERVICE_ACCOUNT_ISSUER,
        audience: API_AUDIENCE,
      });
    } catch (err) {
      const e = err as Error;
      throw errors.unauthorized(
        e.name === 'TokenExpiredError'
          ? 'Unauthorized: the service account token has expired; request a new one (kubectl create token)'
          : `Unauthorized: the service account token is not valid (${e.message})`,
      );
    }
    const k = claims['kubernetes.io'];
    const namespace = k?.namespace ?? '';
    const name = k?.serviceaccount?.name ?? '';
    const account = await this.registry
      .get(SERVICE_ACCOUNTS, namespace, name)
      .catch(() => undefined);
    if (!account || account.metadata.uid !== k.serviceaccount.uid)
      throw errors.unauthorized(
        `Unauthorized: service account ${namespace}/${name} no longer exists; its tokens are no longer valid`,
      );
    if (k.pod) {
      const pod = await this.registry.get(PODS, namespace, k.pod.name).catch(() => undefined);
      if (!pod || pod.metadata.uid !== k.pod.uid)
        throw errors.unauthorized(
          `Unauthorized: the token was bound to pod ${namespace}/${k.pod.name}, which no longer exists`,
        );
    }
    return this.principal(account, claims.jti);
  }

  /**
   * A legacy token (of a `kubernetes.io/service-account-token` Secret; Kubernetes' legacy
   * validator): valid only while its Secret exists, is not being deleted and still holds
   * this very token, and its account exists with the uid the token names.
   */
  private async authenticateLegacy(token: string): Promise<Principal> {
    let subject: LegacyTokenSubject | undefined;
    try {
      subject = legacyTokenSubject(
        await this.jwt.verifyAsync<Record<string, unknown>>(token, {
          algorithms: ['HS256'],
          issuer: LEGACY_TOKEN_ISSUER,
        }),
      );
    } catch (err) {
      throw errors.unauthorized(
        `Unauthorized: the service account token is not valid (${(err as Error).message})`,
      );
    }
    if (!subject)
      throw errors.unauthorized(
        'Unauthorized: the service account token is not valid (its claims are incomplete)',
      );
    const { namespace, secretName, accountName, accountUid } = subject;
    const secret = await this.registry.get(SECRETS, namespace, secretName).catch(() => undefined);
    if (!secret || secret.metadata.deletionTimestamp)
      throw errors.unauthorized(
        `Unauthorized: the token's secret ${namespace}/${secretName} no longer exists; its token is no longer valid`,
      );
    const held = secretToken(secret);
    if (
      tokenSecretAccount(secret).name !== accountName ||
      held === undefined ||
      !sameText(held, token)
    )
      throw errors.unauthorized(
        `Unauthorized: the token is no longer the one secret ${namespace}/${secretName} holds`,
      );
    const account = await this.registry
      .get(SERVICE_ACCOUNTS, namespace, accountName)
      .catch(() => undefined);
    if (!account || account.metadata.uid !== accountUid || account.metadata.deletionTimestamp)
      throw errors.unauthorized(
        `Unauthorized: service account ${namespace}/${accountName} no longer exists; its tokens are no longer valid`,
      );
    return this.principal(account, `secret:${secret.metadata.uid}`);
  }

  private principal(account: KubeObject, credentialId: string): Principal {
    const namespace = account.metadata.namespace ?? '';
    const tenant = this.policy.snapshot().namespaceTenant.get(namespace);
    return {
      kind: 'serviceaccount',
      name: serviceAccountUsername(namespace, account.metadata.name ?? ''),
      groups: [...serviceAccountGroups(namespace), AUTHENTICATED],
      uid: account.metadata.uid,
      clusterAdmin: false,
      // Confined to its namespace's tenant like a token scoped to it: no cluster-wide
      // bindings, role bindings only in that tenant's namespaces.
      ...(tenant ? { scope: { tenant } } : {}),
      via: 'serviceaccount',
      credentialId,
    };
  }
}

/** Equal strings, compared in constant time. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
