import {
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuditController } from './audit/audit.controller';
import { AuditMiddleware } from './audit/audit.middleware';
import { AuditService } from './audit/audit.service';
import { AuthModule } from './auth/auth.module';
import { NulCheckMiddleware } from './common/edge';
import { StatusExceptionFilter } from './common/status-exception.filter';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { DashboardController } from './dashboard/dashboard.controller';
import { DiscoveryController } from './discovery/discovery.controller';
import { DiscoveryService } from './discovery/discovery.service';
import { HealthController } from './health/health.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { RequestMetricsMiddleware } from './metrics/request-metrics.middleware';
import { KubeletClient } from './nodes/kubelet-client';
import { Evictions } from './resources/eviction';
import { KubeletKeyController } from './nodes/kubelet-key.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { OpenApiService } from './openapi/openapi.service';
import { ResourcesController } from './resources/resources.controller';
import { WatchService } from './resources/watch.service';
import { StoreModule } from './store/store.module';

@Module({})
export class AppModule implements NestModule {
  static forConfig(config: AppConfig): DynamicModule {
    const configModule: DynamicModule = {
      module: class ConfigModule {},
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
    return {
      module: AppModule,
      imports: [configModule, StoreModule, AuthModule],
      // Order matters: the catch-all /api and /apis controller comes last.
      controllers: [
        AuditController,
        DashboardController,
        DiscoveryController,
        HealthController,
        KubeletKeyController,
        MetricsController,
        OpenApiController,
        ResourcesController,
      ],
      providers: [
        AuditService,
        DiscoveryService,
        Evictions,
        KubeletClient,
        MetricsService,
        OpenApiService,
        WatchService,
        { provide: APP_FILTER, useClass: StatusExceptionFilter },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(RequestMetricsMiddleware, AuditMiddleware, NulCheckMiddleware)
      .forRoutes('*path');
  }
}
