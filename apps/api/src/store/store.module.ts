import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Registry } from '@berth/registry';
import {
  AdmissionRepository,
  ChangeFeed,
  Database,
  ObjectRepository,
  storeEncryption,
  type PrismaClient,
} from '@berth/store';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

export const PRISMA = Symbol('PRISMA');

/** Owns the database connections: the pool (object store) with the Prisma client over it, and the change feed. */
@Injectable()
export class StoreLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Store');
  private compactionTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: Database,
    private readonly repo: ObjectRepository,
    private readonly feed: ChangeFeed,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.feed.start();
    this.compactionTimer = setInterval(() => void this.compact(), this.config.compactionIntervalMs);
    this.compactionTimer.unref();
  }

  /** Keeps the change log bounded; several API replicas compacting at once is harmless. */
  async compact(): Promise<void> {
    try {
      await this.repo.compact(this.config.changeLogRetention);
    } catch (err) {
      this.logger.warn(`change-log compaction failed: ${(err as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.compactionTimer) clearInterval(this.compactionTimer);
    await this.feed.stop();
    if (!(await this.database.close()))
      this.logger.warn(
        'the database pool did not close within 3 s; leaving it to the process exit',
      );
  }
}

@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new Database(config.databaseUrl, 20),
    },
    {
      provide: PRISMA,
      inject: [Database],
      useFactory: (database: Database): PrismaClient => database.prisma,
    },
    {
      provide: ObjectRepository,
      inject: [Database, APP_CONFIG],
      useFactory: (database: Database, config: AppConfig) =>
        new ObjectRepository(database.pool, { encryption: storeEncryption(config) }),
    },
    {
      provide: AdmissionRepository,
      inject: [Database],
      useFactory: (database: Database) => new AdmissionRepository(database.pool),
    },
    {
      provide: ChangeFeed,
      inject: [ObjectRepository, APP_CONFIG],
      useFactory: (repo: ObjectRepository, config: AppConfig) => {
        const logger = new Logger('ChangeFeed');
        return new ChangeFeed(repo, {
          databaseUrl: config.databaseUrl,
          onError: (err) => logger.warn(`change feed: ${err.message}`),
        });
      },
    },
    {
      provide: Registry,
      inject: [ObjectRepository, AdmissionRepository, APP_CONFIG],
      useFactory: (repo: ObjectRepository, admission: AdmissionRepository, config: AppConfig) =>
        new Registry(repo, admission, {
          services: {
            serviceCIDR: config.serviceCIDR,
            nodePortRange: config.nodePortRange,
            maxPorts: config.serviceMaxPorts,
          },
        }),
    },
    StoreLifecycle,
  ],
  exports: [Database, PRISMA, ObjectRepository, ChangeFeed, Registry, StoreLifecycle],
})
export class StoreModule {}
