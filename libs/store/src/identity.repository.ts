import { randomUUID } from 'node:crypto';
import type { Database, PrismaClient } from './database';
import { StoreError } from './errors';
import { Prisma } from './generated/prisma/client';
import { query, transaction } from './sql';

/** A user as the store keeps it (the password hash never leaves the API process). */
export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string;
  clusterAdmin: boolean;
  disabled: boolean;
  createdAt: Date;
  passwordChangedAt: Date | null;
}

export type CredentialKind = 'token' | 'node' | 'bootstrap';

export interface CredentialRecord {
  id: string;
  kind: CredentialKind;
  name: string;
  userId: string | null;
  nodeName: string | null;
  tenant: string | null;
  role: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface NewUser {
  username: string;
  displayName?: string;
  passwordHash?: string;
  clusterAdmin?: boolean;
}

export interface NewCredential {
  kind: CredentialKind;
  name?: string;
  userId?: string;
  nodeName?: string;
  tenant?: string;
  role?: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  secretHash: string;
  expiresAt?: Date;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === 'P2002';
}

interface CredentialRow {
  id: string;
  kind: string;
  name: string;
  userId: string | null;
  nodeName: string | null;
  tenant: string | null;
  role: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** The users columns as UserRecord's fields (for the hand-written hot-path queries). */
const USER_SELECT = Prisma.raw(`u.id, u.username, u.display_name AS "displayName",
  u.password_hash AS "passwordHash", u.cluster_admin AS "clusterAdmin", u.disabled,
  u.created_at AS "createdAt", u.password_changed_at AS "passwordChangedAt"`);

/** The same as json_build_object arguments (timestamps come back as ISO strings). */
const USER_JSON = Prisma.raw(`'id', u.id, 'username', u.username, 'displayName', u.display_name,
  'passwordHash', u.password_hash, 'clusterAdmin', u.cluster_admin, 'disabled', u.disabled,
  'createdAt', u.created_at, 'passwordChangedAt', u.password_changed_at`);

function userFromJson(u: UserRecord | Record<string, unknown>): UserRecord {
  const j = u as Record<string, unknown>;
  const date = (v: unknown) => (v == null ? null : new Date(v as string));
  return {
    id: j.id as string,
    username: j.username as string,
    displayName: j.displayName as string,
    passwordHash: j.passwordHash as string,
    clusterAdmin: j.clusterAdmin as boolean,
    disabled: j.disabled as boolean,
    createdAt: date(j.createdAt)!,
    passwordChangedAt: date(j.passwordChangedAt),
  };
}

function credential(row: CredentialRow): CredentialRecord {
  return {
    id: row.id,
    kind: row.kind as CredentialKind,
    name: row.name,
    userId: row.userId,
    nodeName: row.nodeName,
    tenant: row.tenant,
    role: row.role,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}

const CREDENTIAL_COLUMNS = {
  id: true,
  kind: true,
  name: true,
  userId: true,
  nodeName: true,
  tenant: true,
  role: true,
  expiresAt: true,
  revokedAt: true,
  createdAt: true,
  lastUsedAt: true,
} as const;

/**
 * Users and bearer credentials. These are not Kubernetes objects: they hold secrets
 * (hashes), are never watched, and live in their own tables beside the object store.
 */
export class IdentityRepository {
  private readonly prisma: PrismaClient;

  constructor(private readonly database: Database) {
    this.prisma = database.prisma;
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    try {
      return await this.prisma.user.create({
        data: {
          id: randomUUID(),
          username: user.username,
          displayName: user.displayName ?? '',
          passwordHash: user.passwordHash ?? '',
          clusterAdmin: user.clusterAdmin ?? false,
          passwordChangedAt: user.passwordHash ? new Date() : null,
        },
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw new StoreError('AlreadyExists', `user "${user.username}" already exists`);
      throw err;
    }
  }

  findUser(username: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { username } });
  }

  /** One user by id: every session-authenticated request asks, so plain SQL on pg. */
  async findUserById(id: string): Promise<UserRecord | null> {
    const rows = await query<UserRecord>(
      this.database.pool,
      Prisma.sql`SELECT ${USER_SELECT} FROM users u WHERE u.id = ${id}::uuid`,
    );
    return rows[0] ?? null;
  }

  listUsers(): Promise<UserRecord[]> {
    return this.prisma.user.findMany({ orderBy: { username: 'asc' } });
  }

  async updateUser(
    username: string,
    change: Partial<Pick<UserRecord, 'displayName' | 'clusterAdmin' | 'disabled'>> & {
      passwordHash?: string;
    },
  ): Promise<UserRecord> {
    const found = await this.prisma.user.updateMany({
      where: { username },
      data: {
        ...change,
        ...(change.passwordHash !== undefined ? { passwordChangedAt: new Date() } : {}),
      },
    });
    if (found.count === 0) throw new StoreError('NotFound', `user "${username}" not found`);
    return (await this.findUser(username))!;
  }

  async deleteUser(username: string): Promise<void> {
    const found = await this.prisma.user.deleteMany({ where: { username } });
    if (found.count === 0) throw new StoreError('NotFound', `user "${username}" not found`);
  }

  async createCredential(input: NewCredential): Promise<CredentialRecord> {
    const row = await this.prisma.credential.create({
      data: {
        id: randomUUID(),
        kind: input.kind,
        name: input.name ?? '',
        userId: input.userId ?? null,
        nodeName: input.nodeName ?? null,
        tenant: input.tenant ?? null,
        role: input.role ?? null,
        secretHash: input.secretHash,
        expiresAt: input.expiresAt ?? null,
      },
      select: CREDENTIAL_COLUMNS,
    });
    return credential(row);
  }

  /** The credential with this secret hash and its user, whatever its state (the caller judges). */
  async findCredential(
    secretHash: string,
  ): Promise<{ credential: CredentialRecord; user: UserRecord | null } | null> {
    // Every bearer-authenticated request asks this: plain SQL on pg, one round trip.
    const rows = await query<CredentialRow & { user: UserRecord | null }>(
      this.database.pool,
      Prisma.sql`
        SELECT c.id, c.kind, c.name, c.user_id AS "userId", c.node_name AS "nodeName",
               c.tenant, c.role, c.expires_at AS "expiresAt", c.revoked_at AS "revokedAt",
               c.created_at AS "createdAt", c.last_used_at AS "lastUsedAt",
               CASE WHEN u.id IS NULL THEN NULL ELSE json_build_object(${USER_JSON}) END AS "user"
        FROM credentials c LEFT JOIN users u ON u.id = c.user_id
        WHERE c.secret_hash = ${secretHash}`,
      { prepare: true },
    );
    if (!rows.length) return null;
    const row = rows[0];
    return { credential: credential(row), user: row.user ? userFromJson(row.user) : null };
  }

  async listCredentials(filter: {
    userId?: string;
    kind?: CredentialKind;
  }): Promise<CredentialRecord[]> {
    const rows = await this.prisma.credential.findMany({
      where: { userId: filter.userId, kind: filter.kind },
      select: CREDENTIAL_COLUMNS,
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(credential);
  }

  async getCredential(id: string): Promise<CredentialRecord | null> {
    const row = await this.prisma.credential.findUnique({
      where: { id },
      select: CREDENTIAL_COLUMNS,
    });
    return row ? credential(row) : null;
  }

  /** Revokes a credential (idempotent); false when there is no such credential. */
  async revokeCredential(id: string): Promise<boolean> {
    const res = await this.prisma.credential.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (res.count > 0) return true;
    return (await this.prisma.credential.count({ where: { id } })) > 0;
  }

  /**
   * A node credential for `input.nodeName`, unless that node has a live one already (not
   * revoked, not expired): then that one is returned and nothing is written. Checked and
   * written under a per-node lock, so two racing registrations never both get one.
   */
  async createNodeCredentialIfNone(
    input: NewCredential & { nodeName: string },
  ): Promise<{ created?: CredentialRecord; live?: CredentialRecord }> {
    const columns = Prisma.sql`id, kind, name, user_id AS "userId", node_name AS "nodeName",
      tenant, role, expires_at AS "expiresAt", revoked_at AS "revokedAt",
      created_at AS "createdAt", last_used_at AS "lastUsedAt"`;
    return transaction(this.database.pool, 'BEGIN', async (client) => {
      await query(
        client,
        Prisma.sql`SELECT pg_advisory_xact_lock(hashtext(${`berth:node-credential:${input.nodeName}`}))`,
      );
      const live = await query<CredentialRow>(
        client,
        Prisma.sql`SELECT ${columns} FROM credentials
          WHERE kind = 'node' AND node_name = ${input.nodeName} AND revoked_at IS NULL
            AND (expires_at IS NULL OR expires_at > now())
          ORDER BY created_at DESC LIMIT 1`,
      );
      if (live.length) return { live: credential(live[0]) };
      const rows = await query<CredentialRow>(
        client,
        Prisma.sql`INSERT INTO credentials (id, kind, name, node_name, secret_hash, expires_at)
          VALUES (${randomUUID()}::uuid, 'node', ${input.name ?? ''}, ${input.nodeName},
                  ${input.secretHash}, ${input.expiresAt ?? null})
          RETURNING ${columns}`,
      );
      return { created: credential(rows[0]) };
    });
  }

  /** The node credentials of `nodeName`, oldest first. */
  async listNodeCredentials(nodeName: string): Promise<CredentialRecord[]> {
    const rows = await this.prisma.credential.findMany({
      where: { kind: 'node', nodeName },
      select: CREDENTIAL_COLUMNS,
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(credential);
  }

  /** Revokes every live node credential of `nodeName` (a node re-registering gets a new one). */
  async revokeNodeCredentials(nodeName: string): Promise<number> {
    const res = await this.prisma.credential.updateMany({
      where: { kind: 'node', nodeName, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return res.count;
  }

  /** Records a credential's use (at most once a minute per credential: plain SQL on pg). */
  async markUsed(id: string, at = new Date()): Promise<void> {
    await query(
      this.database.pool,
      Prisma.sql`UPDATE credentials SET last_used_at = ${at} WHERE id = ${id}::uuid`,
    );
  }
}
