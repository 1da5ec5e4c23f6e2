import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './database';
import { StoreError } from './errors';

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

function credential(row: {
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
}): CredentialRecord {
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
  constructor(private readonly prisma: PrismaClient) {}

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

  findUserById(id: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { id } });
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
    const row = await this.prisma.credential.findUnique({
      where: { secretHash },
      select: { ...CREDENTIAL_COLUMNS, user: true },
    });
    if (!row) return null;
    return { credential: credential(row), user: row.user };
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

  /** Revokes every live node credential of `nodeName` (a node re-registering gets a new one). */
  async revokeNodeCredentials(nodeName: string): Promise<number> {
    const res = await this.prisma.credential.updateMany({
      where: { kind: 'node', nodeName, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return res.count;
  }

  async markUsed(id: string, at = new Date()): Promise<void> {
    await this.prisma.credential.updateMany({ where: { id }, data: { lastUsedAt: at } });
  }
}
