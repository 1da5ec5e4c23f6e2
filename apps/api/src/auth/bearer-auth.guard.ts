import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { errors } from '@berth/core';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/**
 * Until users, tokens and RBAC land, the API accepts one static admin bearer token
 * (BERTH_ADMIN_TOKEN, or the one generated into the data directory at first start).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = Buffer.from(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match)
      throw errors.unauthorized(
        'Unauthorized: send a bearer token (Authorization: Bearer <token>)',
      );
    const given = Buffer.from(match[1].trim());
    if (
      this.expected.length === 0 ||
      given.length !== this.expected.length ||
      !timingSafeEqual(given, this.expected)
    ) {
      throw errors.unauthorized('Unauthorized: the bearer token is not valid');
    }
    return true;
  }
}
