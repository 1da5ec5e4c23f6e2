import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { errors } from '@berth/core';
import { decodeJsonObject } from '../common/http';
import type { Principal } from './principal';

/**
 * The impersonation headers a request carries (`kubectl --as`, `--as-group`, `--as-uid`):
 * their names and values, for the refusal's message.
 */
export function impersonationHeaders(req: Request): string[] {
  const found: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    if (name.toLowerCase().startsWith('impersonate-'))
      found.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  return found;
}

/**
 * Authenticates every request it guards; failures are Kubernetes 401 Statuses. A request
 * asking to act as someone else is refused (403) rather than answered as its sender:
 * Berth does not serve impersonation, and ignoring it would make `kubectl auth can-i --as`
 * and `kubectl --as` silently speak for the wrong user.
 */
@Injectable()
export class AuthenticatedGuard extends AuthGuard('berth-bearer') {
  override handleRequest<T = Principal>(
    err: unknown,
    user: T | false,
    _info?: unknown,
    context?: ExecutionContext,
  ): T {
    if (err) throw err;
    if (!user)
      throw errors.unauthorized(
        'Unauthorized: send a bearer token (Authorization: Bearer <token>): an API token, a session from POST /auth/login, or a node credential',
      );
    const asked = context ? impersonationHeaders(context.switchToHttp().getRequest<Request>()) : [];
    if (asked.length > 0)
      throw errors.forbidden(
        `impersonation is not supported by this server (${asked.join(', ')}): send the request with that user's own credentials, e.g. a kubeconfig from the dashboard's Access page`,
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
