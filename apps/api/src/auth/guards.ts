import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { errors } from '@berth/core';
import { decodeJsonObject } from '../common/http';
import type { Principal } from './principal';

/** Authenticates every request it guards; failures are Kubernetes 401 Statuses. */
@Injectable()
export class AuthenticatedGuard extends AuthGuard('berth-bearer') {
  override handleRequest<T = Principal>(err: unknown, user: T | false): T {
    if (err) throw err;
    if (!user)
      throw errors.unauthorized(
        'Unauthorized: send a bearer token (Authorization: Bearer <token>): an API token, a session from POST /auth/login, or a node credential',
      );
    return user;
  }
}

/** Username and password login; the JSON body is decoded first (bodies arrive raw). */
@Injectable()
export class LoginGuard extends AuthGuard('berth-local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const body = decodeJsonObject(req);
    for (const field of ['username', 'password'])
      if (typeof body[field] !== 'string' || body[field] === '')
        throw errors.badRequest(`${field} is required: send {"username": "…", "password": "…"}`);
    req.body = body;
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<T>(err: unknown, user: T | false): T {
    if (err) throw err;
    if (!user) throw errors.unauthorized('Unauthorized: invalid username or password');
    return user;
  }
}

export function principalOf(req: Request): Principal {
  const p = req.user as Principal | undefined;
  if (!p) throw errors.unauthorized();
  return p;
}
