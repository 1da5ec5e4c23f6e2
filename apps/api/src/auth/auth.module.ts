import { Global, Module } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { Database, IdentityRepository } from '@berth/store';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AuthController } from './auth.controller';
import { Admission } from './admission';
import { Authorizer } from './authorizer';
import { PolicyCache } from './policy-cache';
import { Reviews } from './reviews';
import { StoreModule } from '../store/store.module';
import { AuthenticatedGuard, LoginGuard } from './guards';
import { IdentityService } from './identity.service';
import { LoginLimiter } from './login-limiter';
import { ServiceAccountTokens } from './service-account-tokens';
import { BearerStrategy, LocalStrategy } from './strategies';
import { TokenSecrets } from './token-secrets';

/** Authentication: passport strategies, identities, sessions and the login limiter. */
@Global()
@Module({
  // StoreModule first: the policy cache follows the change feed it starts.
  imports: [StoreModule, PassportModule.register({ session: false })],
  controllers: [AuthController],
  providers: [
    {
      provide: IdentityRepository,
      inject: [Database],
      useFactory: (database: Database) => new IdentityRepository(database),
    },
    {
      provide: JwtService,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new JwtService({ secret: config.jwtSecret }),
    },
    IdentityService,
    ServiceAccountTokens,
    TokenSecrets,
    Authorizer,
    Admission,
    PolicyCache,
    Reviews,
    LoginLimiter,
    BearerStrategy,
    LocalStrategy,
    AuthenticatedGuard,
    LoginGuard,
  ],
  exports: [
    IdentityService,
    ServiceAccountTokens,
    TokenSecrets,
    Authorizer,
    Admission,
    PolicyCache,
    Reviews,
    AuthenticatedGuard,
    IdentityRepository,
  ],
})
export class AuthModule {}
