export * from './types';
export * from './errors';
export { createPrismaClient, Database, disconnectWithin, poolConfig } from './database';
export { query, transaction } from './sql';
export type { Queryable } from './sql';
export type { PrismaClient } from './database';
export { applyMigrations, ensureDatabase, dropDatabase, MIGRATIONS_DIR } from './migrate';
export {
  ObjectRepository,
  AtomicTransaction,
  CHANGES_CHANNEL,
  POD_FIELDS,
  POD_BUCKETS,
  podBucket,
  encodeOtherRequests,
} from './object.repository';
export type { NodeCapacity, PodBinding } from './object.repository';
export { ChangeFeed } from './change-feed';
export type { ChangeFeedOptions, FeedIndex, FeedSubscriber, Subscription } from './change-feed';
export { IdentityRepository } from './identity.repository';
export type {
  CredentialKind,
  CredentialRecord,
  NewCredential,
  NewUser,
  UserRecord,
} from './identity.repository';
export { AuditRepository } from './audit.repository';
export type { AuditEntry, AuditQuery, AuditRecord } from './audit.repository';
