import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy as BearerStrategyBase } from 'passport-http-bearer';
import { Strategy as LocalStrategyBase } from 'passport-local';
import { errors } from '@berth/core';
import { IdentityService, userView, type UserView } from './identity.service';
import { LoginLimiter } from './login-limiter';
import type { Principal } from './principal';

/** `Authorization: Bearer …`: session JWTs, API tokens, node and bootstrap credentials. */
@Injectable()
export class BearerStrategy extends PassportStrategy(BearerStrategyBase, 'berth-bearer') {
  constructor(private readonly identity: IdentityService) {
    super();
  }

  /**
   * The header only: passport-http-bearer also takes `access_token` from the query string
   * and the body, and a token in a URL ends up in access logs, proxies and browser history.
   */
  override authenticate(req: Request, options?: object): void {
    super.authenticate({ headers: req.headers } as Request, options);
  }

  validate(token: string): Promise<Principal> {
    return this.identity.authenticate(token);
  }
}

/** The client address a login is counted against (Express's, honouring `trust proxy`). */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/** `POST /auth/login` with a username and password, rate-limited per user and address. */
@Injectable()
export class LocalStrategy extends PassportStrategy(LocalStrategyBase, 'berth-local') {
  constructor(
    private readonly identity: IdentityService,
    private readonly limiter: LoginLimiter,
  ) {
    super({ passReqToCallback: true });
  }

  async validate(req: Request, username: string, password: string): Promise<UserView> {
    const address = clientAddress(req);
    await this.limiter.check(username, address);
    const user = await this.identity.verifyPassword(username, password);
    if (!user) {
      await this.limiter.failed(username, address);
      throw errors.unauthorized('Unauthorized: invalid username or password');
    }
    await this.limiter.succeeded(username, address);
    return userView(user);
  }
}
