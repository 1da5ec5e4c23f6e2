export * from './types';
export * from './errors';
export { createPrismaClient, Database, disconnectWithin, poolConfig } from './database';
export { query, transaction } from './sql';
export type { Queryable } from './sql';
export type { PrismaClient } from './database';
export { applyMigrations, ensureDatabase, dropDatabase, MIGRATIONS_DIR } from './migrate';
export { ObjectRepository, CHANGES_CHANNEL } from './object.repository';
export type { ObjectRepositoryOptions } from './object.repository';
export { reencryptStore } from './reencrypt';
export type { ReencryptCounts, ReencryptOptions, ReencryptReport } from './reencrypt';
export { ObjectCodec, PLAIN_CODEC, storeEncryption } from './object-codec';
export type { StoreEncryption } from './object-codec';
export * from './encryption';
export { AtomicTransaction } from './atomic-transaction';
export {
  SchedulingRepository,
  POD_FIELDS,
  POD_BUCKETS,
  podBucket,
  encodeOtherRequests,
} from './scheduling.repository';
export type { NodeCapacity, PodBinding } from './scheduling.repository';
export { AdmissionRepository } from './admission.repository';
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
