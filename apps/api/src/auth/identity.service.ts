import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import bcrypt from 'bcryptjs';
import { ApiError, errors, isAlreadyExists } from '@berth/core';
import {
  IdentityRepository,
  StoreError,
  type CredentialKind,
  type CredentialRecord,
  type UserRecord,
} from '@berth/store';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import {
  AUTHENTICATED,
  BOOTSTRAPPERS,
  MASTERS,
  NODES,
  nodeUser,
  type Principal,
} from './principal';
import { hashSecret, newSecret, secretKind } from './secrets';
import { isServiceAccountToken, ServiceAccountTokens } from './service-account-tokens';

/** The claims of a dashboard session JWT. */
interface SessionClaims {
  sub: string;
  name: string;
  /** Issue time in milliseconds (`iat` has whole seconds only). */
  iatMs: number;
  iat: number;
  exp: number;
}

/** A user as the API shows it: never the password hash. */
export interface UserView {
  username: string;
  displayName: string;
  clusterAdmin: boolean;
  disabled: boolean;
  createdAt: string;
}

/** A credential as the API shows it: never the secret or its hash. */
export interface CredentialView {
  id: string;
  kind: CredentialKind;
  name: string;
  nodeName?: string;
  tenant?: string;
  role?: string;
  createdAt: string;
  expiresAt?: string;
  lastUsedAt?: string;
  revokedAt?: string;
  /** Active, Expired or Revoked. */
  state: 'Active' | 'Expired' | 'Revoked';
}

export const USERNAME = /^[a-z0-9]([-a-z0-9._@]{0,61}[a-z0-9])?$/;
export const MIN_PASSWORD = 8;
const LAST_USED_RESOLUTION_MS = 60_000;

export function userView(u: UserRecord): UserView {
  return {
    username: u.username,
    displayName: u.displayName,
    clusterAdmin: u.clusterAdmin,
    disabled: u.disabled,
    createdAt: u.createdAt.toISOString(),
  };
}

export function credentialView(c: CredentialRecord, now = new Date()): CredentialView {
  const state = c.revokedAt ? 'Revoked' : c.expiresAt && c.expiresAt <= now ? 'Expired' : 'Active';
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    ...(c.nodeName ? { nodeName: c.nodeName } : {}),
    ...(c.tenant ? { tenant: c.tenant } : {}),
    ...(c.role ? { role: c.role } : {}),
    createdAt: c.createdAt.toISOString(),
    ...(c.expiresAt ? { expiresAt: c.expiresAt.toISOString() } : {}),
    ...(c.lastUsedAt ? { lastUsedAt: c.lastUsedAt.toISOString() } : {}),
    ...(c.revokedAt ? { revokedAt: c.revokedAt.toISOString() } : {}),
    state,
  };
}

function userPrincipal(user: UserRecord, via: Principal['via'], extra: Partial<Principal> = {}) {
  const principal: Principal = {
    kind: 'user',
    name: user.username,
    uid: user.id,
    groups: user.clusterAdmin ? [MASTERS, AUTHENTICATED] : [AUTHENTICATED],
    clusterAdmin: user.clusterAdmin,
    via,
    ...extra,
  };
  return principal;
}

/**
 * Authentication and the identities behind it: users with bcrypt passwords, session
 * JWTs, API tokens (hash stored, secret shown once), bootstrap tokens and node
 * credentials. Every bearer is checked against the store on every request, so a
 * revocation or a disabled user takes effect on the next request.
 */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger('Auth');
  private readonly staticToken: Buffer;
  /** bcrypt of a random string, compared against when the user does not exist. */
  private dummyHash?: Promise<string>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: IdentityRepository,
    private readonly jwt: JwtService,
    private readonly serviceAccounts: ServiceAccountTokens,
  ) {
    this.staticToken = Buffer.from(config.adminToken);
  }

  get tokenDefaultTtlSeconds(): number {
    return this.config.tokenDefaultTtlSeconds;
  }

  // ---- authentication -------------------------------------------------------------

  /** The principal behind a bearer token; 401 with the reason otherwise. */
  async authenticate(bearer: string): Promise<Principal> {
    const token = bearer.trim();
    if (this.isStaticToken(token)) {
      return {
        kind: 'user',
        name: 'system:admin',
        groups: [MASTERS, AUTHENTICATED],
        clusterAdmin: true,
        via: 'static',
      };
    }
    const kind = secretKind(token);
    if (kind) return this.authenticateSecret(kind, token);
    if (token.split('.').length === 3)
      return isServiceAccountToken(this.jwt, token)
        ? this.serviceAccounts.authenticate(token)
        : this.authenticateSession(token);
    throw errors.unauthorized('Unauthorized: the bearer token is not valid');
  }

  private isStaticToken(token: string): boolean {
    const given = Buffer.from(token);
    return (
      this.staticToken.length > 0 &&
      given.length === this.staticToken.length &&
      timingSafeEqual(given, this.staticToken)
    );
  }

  private async authenticateSecret(kind: CredentialKind, token: string): Promise<Principal> {
    const found = await this.repo.findCredential(hashSecret(token));
    const invalid = errors.unauthorized('Unauthorized: the bearer token is not valid');
    if (!found || found.credential.kind !== kind) throw invalid;
    const { credential: c, user } = found;
    if (c.revokedAt) throw errors.unauthorized('Unauthorized: the token has been revoked');
    if (c.expiresAt && c.expiresAt <= new Date())
      throw errors.unauthorized(
        `Unauthorized: the token expired at ${c.expiresAt.toISOString()}; create a new one`,
      );
    this.noteUse(c);
    if (kind === 'node') {
      return {
        kind: 'node',
        name: nodeUser(c.nodeName!),
        groups: [NODES, AUTHENTICATED],
        clusterAdmin: false,
        nodeName: c.nodeName!,
        via: 'node',
        credentialId: c.id,
      };
    }
    if (kind === 'bootstrap') {
      return {
        kind: 'bootstrap',
        name: `system:bootstrap:${c.id}`,
        groups: [BOOTSTRAPPERS, AUTHENTICATED],
        clusterAdmin: false,
        via: 'bootstrap',
        credentialId: c.id,
      };
    }
    if (!user) throw invalid;
    if (user.disabled)
      throw errors.unauthorized(`Unauthorized: user "${user.username}" is disabled`);
    return userPrincipal(user, 'token', {
      credentialId: c.id,
      ...(c.tenant ? { scope: { tenant: c.tenant, ...(c.role ? { role: c.role } : {}) } } : {}),
      // A token scoped to a tenant never carries cluster-admin rights.
      ...(c.tenant ? { clusterAdmin: false, groups: [AUTHENTICATED] } : {}),
    });
  }

  private async authenticateSession(token: string): Promise<Principal> {
    let claims: SessionClaims;
    try {
      claims = await this.jwt.verifyAsync<SessionClaims>(token, {
        algorithms: ['HS256'],
        issuer: 'berth',
      });
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw errors.unauthorized(
        expired
          ? 'Unauthorized: the session has expired; log in again'
          : 'Unauthorized: the bearer token is not valid',
      );
    }
    const user = await this.repo.findUserById(claims.sub);
    if (!user) throw errors.unauthorized('Unauthorized: the user no longer exists');
    if (user.disabled)
      throw errors.unauthorized(`Unauthorized: user "${user.username}" is disabled`);
    // A password change ends every session issued before it.
    const issuedAt = typeof claims.iatMs === 'number' ? claims.iatMs : claims.iat * 1000;
    if (user.passwordChangedAt && issuedAt < user.passwordChangedAt.getTime())
      throw errors.unauthorized('Unauthorized: the password was changed; log in again');
    return userPrincipal(user, 'session');
  }

  private noteUse(c: CredentialRecord): void {
    const now = Date.now();
    if (c.lastUsedAt && now - c.lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    this.repo.markUsed(c.id, new Date(now)).catch((err: Error) => {
      this.logger.warn(`could not record the use of credential ${c.id}: ${err.message}`);
    });
  }

  /** Checks a username and password; undefined when they do not match an enabled user. */
  async verifyPassword(username: string, password: string): Promise<UserRecord | undefined> {
    const user = await this.repo.findUser(username);
    // Compare against a dummy hash when there is no such user, so timing does not tell.
    this.dummyHash ??= bcrypt.hash(randomBytes(16).toString('hex'), this.config.bcryptCost);
    const hash = user?.passwordHash || (await this.dummyHash);
    const ok = await bcrypt.compare(password, hash);
    if (!user || !user.passwordHash || !ok || user.disabled) return undefined;
    return user;
  }

  /** A session JWT for a user who logged in. */
  async issueSession(user: UserRecord): Promise<{ token: string; expiresAt: string }> {
    const token = await this.jwt.signAsync(
      { name: user.username, iatMs: Date.now() },
      {
        subject: user.id,
        expiresIn: this.config.sessionTtlSeconds,
        algorithm: 'HS256',
        issuer: 'berth',
      },
    );
    const exp = (this.jwt.decode(token) as { exp: number }).exp;
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  // ---- users ----------------------------------------------------------------------

  hashPassword(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptCost);
  }

  validatePassword(password: unknown, field = 'password'): string {
    if (typeof password !== 'string' || password.length < MIN_PASSWORD)
      throw errors.badRequest(`${field} must be a string of at least ${MIN_PASSWORD} characters`);
    if (Buffer.byteLength(password) > 72)
      throw errors.badRequest(`${field} must be at most 72 bytes (bcrypt ignores the rest)`);
    return password;
  }

  async createUser(input: {
    username: string;
    password?: string;
    displayName?: string;
    clusterAdmin?: boolean;
  }): Promise<UserRecord> {
    if (!USERNAME.test(input.username))
      throw errors.badRequest(
        `username "${input.username}" is invalid: use lower-case letters, digits, '-', '.', '_' or '@', starting and ending with a letter or digit, at most 63 characters`,
      );
    const passwordHash =
      input.password === undefined
        ? ''
        : await this.hashPassword(this.validatePassword(input.password));
    try {
      return await this.repo.createUser({
        username: input.username,
        displayName: input.displayName,
        passwordHash,
        clusterAdmin: input.clusterAdmin,
      });
    } catch (err) {
      throw mapStoreError(err, 'users', input.username);
    }
  }

  async changePassword(username: string, password: string): Promise<UserRecord> {
    const hash = await this.hashPassword(this.validatePassword(password));
    try {
      return await this.repo.updateUser(username, { passwordHash: hash });
    } catch (err) {
      throw mapStoreError(err, 'users', username);
    }
  }

  async updateUser(
    username: string,
    change: { displayName?: string; clusterAdmin?: boolean; disabled?: boolean },
  ): Promise<UserRecord> {
    try {
      return await this.repo.updateUser(username, change);
    } catch (err) {
      throw mapStoreError(err, 'users', username);
    }
  }

  async deleteUser(username: string): Promise<void> {
    try {
      await this.repo.deleteUser(username);
    } catch (err) {
      throw mapStoreError(err, 'users', username);
    }
  }

  listUsers(): Promise<UserRecord[]> {
    return this.repo.listUsers();
  }

  findUser(username: string): Promise<UserRecord | null> {
    return this.repo.findUser(username);
  }

  /**
   * The first cluster admin, created when no user of that name exists (an existing user's
   * password is left alone, so a changed password survives restarts). True if created.
   */
  async ensureAdmin(username: string, password: string): Promise<boolean> {
    if (await this.repo.findUser(username)) return false;
    try {
      await this.createUser({
        username,
        password,
        clusterAdmin: true,
        displayName: 'Cluster admin',
      });
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false; // another replica won
      throw err;
    }
  }

  // ---- credentials ----------------------------------------------------------------

  /** Creates a credential and returns its secret, which is never shown again. */
  async createCredential(input: {
    kind: CredentialKind;
    name?: string;
    userId?: string;
    nodeName?: string;
    tenant?: string;
    role?: string;
    ttlSeconds?: number;
  }): Promise<{ credential: CredentialRecord; secret: string }> {
    const secret = newSecret(input.kind);
    const credential = await this.repo.createCredential({
      kind: input.kind,
      name: input.name,
      userId: input.userId,
      nodeName: input.nodeName,
      tenant: input.tenant,
      role: input.role,
      secretHash: hashSecret(secret),
      expiresAt:
        input.ttlSeconds === undefined ? undefined : new Date(Date.now() + input.ttlSeconds * 1000),
    });
    return { credential, secret };
  }

  listCredentials(filter: { userId?: string; kind?: CredentialKind }): Promise<CredentialRecord[]> {
    return this.repo.listCredentials(filter);
  }

  getCredential(id: string): Promise<CredentialRecord | null> {
    return this.repo.getCredential(id);
  }

  revokeCredential(id: string): Promise<boolean> {
    return this.repo.revokeCredential(id);
  }

  /**
   * A node credential for `nodeName`. A name whose node holds a live credential is not
   * given a second one (409): a bootstrap token must not let anyone take over a running
   * node. A cluster admin revokes the old credential first ({@link revokeNodeCredentials}).
   */
  async issueNodeCredential(
    nodeName: string,
    bootstrapId: string,
  ): Promise<{ credential: CredentialRecord; secret: string }> {
    const secret = newSecret('node');
    const { created, live } = await this.repo.createNodeCredentialIfNone({
      kind: 'node',
      nodeName,
      name: `bootstrap ${bootstrapId}`,
      secretHash: hashSecret(secret),
    });
    if (!created) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `node "${nodeName}" is already registered: it holds a live credential (id ${live!.id}, issued ${live!.createdAt.toISOString()}). An agent restarted on that node keeps using its stored credential; to register the name anew, a cluster admin first revokes the old one: DELETE /auth/nodes/${nodeName}/credentials`,
        { name: nodeName, kind: 'nodes' },
      );
    }
    return { credential: created, secret };
  }

  listNodeCredentials(nodeName: string): Promise<CredentialRecord[]> {
    return this.repo.listNodeCredentials(nodeName);
  }

  /** Revokes every live credential of the node; the count revoked. */
  revokeNodeCredentials(nodeName: string): Promise<number> {
    return this.repo.revokeNodeCredentials(nodeName);
  }
}

export function mapStoreError(err: unknown, resource: string, name: string): unknown {
  if (err instanceof StoreError) {
    if (err.code === 'AlreadyExists') return errors.alreadyExists(resource, name);
    if (err.code === 'NotFound') return errors.notFound(resource, name);
  }
  return err;
}
