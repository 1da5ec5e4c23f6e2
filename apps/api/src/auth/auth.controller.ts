import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { Request } from 'express';
import { errors, isDNS1123Subdomain } from '@berth/core';
import { decodeJsonObject } from '../common/http';
import { AuthenticatedGuard, LoginGuard, principalOf } from './guards';
import {
  credentialView,
  IdentityService,
  userView,
  type CredentialView,
  type UserView,
} from './identity.service';
import { LoginLimiter } from './login-limiter';
import type { Principal } from './principal';
import { clientAddress } from './strategies';

export const TENANT_ROLES = ['tenant-admin', 'developer', 'viewer'] as const;
const MAX_TTL_SECONDS = 366 * 24 * 3600;

function optionalString(
  body: Record<string, unknown>,
  field: string,
  max = 253,
): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max)
    throw errors.badRequest(`${field} must be a string of at most ${max} characters`);
  return v;
}

function optionalBool(body: Record<string, unknown>, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw errors.badRequest(`${field} must be true or false`);
  return v;
}

function ttlSeconds(body: Record<string, unknown>, fallback: number): number {
  const v = body.expiresInSeconds;
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 60 || v > MAX_TTL_SECONDS)
    throw errors.badRequest(
      `expiresInSeconds must be a whole number of seconds from 60 to ${MAX_TTL_SECONDS} (one year)`,
    );
  return v;
}

function requireUser(p: Principal): asserts p is Principal & { uid: string } {
  if (p.kind !== 'user' || !p.uid)
    throw errors.forbidden(
      `${p.name} is not a user: only users (logged in or with an API token) can do this`,
    );
}

function requireClusterAdmin(p: Principal): void {
  if (!p.clusterAdmin)
    throw errors.forbidden(
      `User "${p.name}" cannot manage users and credentials: cluster admins only`,
    );
}

/**
 * Sign-in and credentials, outside the Kubernetes object space (these carry secrets and
 * are never watched): login, whoami, API tokens, password change, users (cluster
 * admins), bootstrap tokens and node registration (agents).
 */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly identity: IdentityService,
    private readonly limiter: LoginLimiter,
  ) {}

  @Post('login')
  @HttpCode(200)
  @UseGuards(LoginGuard)
  async login(@Req() req: Request): Promise<{ token: string; expiresAt: string; user: UserView }> {
    const view = req.user as UserView;
    const user = (await this.identity.findUser(view.username))!;
    const session = await this.identity.issueSession(user);
    return { ...session, user: view };
  }

  @Get('whoami')
  @UseGuards(AuthenticatedGuard)
  whoami(@Req() req: Request): Record<string, unknown> {
    const p = principalOf(req);
    return {
      username: p.name,
      ...(p.uid ? { uid: p.uid } : {}),
      groups: p.groups,
      kind: p.kind,
      clusterAdmin: p.clusterAdmin,
      authenticatedBy: p.via,
      ...(p.scope ? { scope: p.scope } : {}),
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
    };
  }

  @Post('password')
  @HttpCode(200)
  @UseGuards(AuthenticatedGuard)
  async changePassword(@Req() req: Request): Promise<{ message: string }> {
    const p = principalOf(req);
    requireUser(p);
    const body = decodeJsonObject(req);
    const current = body.currentPassword;
    if (typeof current !== 'string')
      throw errors.badRequest('currentPassword is required to set a new password');
    const address = clientAddress(req);
    await this.limiter.check(p.name, address);
    if (!(await this.identity.verifyPassword(p.name, current))) {
      await this.limiter.failed(p.name, address);
      throw errors.forbidden('the current password is not correct');
    }
    await this.identity.changePassword(
      p.name,
      this.identity.validatePassword(body.newPassword, 'newPassword'),
    );
    return { message: 'password changed; sessions issued before now have ended' };
  }

  // ---- API tokens -------------------------------------------------------------------

  @Get('tokens')
  @UseGuards(AuthenticatedGuard)
  async listTokens(@Req() req: Request): Promise<{ items: CredentialView[] }> {
    const p = principalOf(req);
    requireUser(p);
    const items = await this.identity.listCredentials({ userId: p.uid, kind: 'token' });
    return { items: items.map((c) => credentialView(c)) };
  }

  @Post('tokens')
  @UseGuards(AuthenticatedGuard)
  async createToken(@Req() req: Request): Promise<CredentialView & { token: string }> {
    const p = principalOf(req);
    requireUser(p);
    const body = decodeJsonObject(req);
    const name = optionalString(body, 'name', 63);
    if (!name) throw errors.badRequest('name is required: say what the token is for (e.g. "ci")');
    const tenant = optionalString(body, 'tenant', 63);
    const role = optionalString(body, 'role', 32);
    if (role !== undefined && !tenant)
      throw errors.badRequest('role limits a token within one tenant: give tenant as well');
    if (role !== undefined && !(TENANT_ROLES as readonly string[]).includes(role))
      throw errors.badRequest(`role must be one of ${TENANT_ROLES.join(', ')}; got "${role}"`);
    // A scoped token never exceeds its creator: a scoped session cannot widen its scope.
    if (p.scope && tenant !== p.scope.tenant)
      throw errors.forbidden(
        `this token is limited to tenant "${p.scope.tenant}": it can only create tokens for that tenant`,
      );
    const { credential, secret } = await this.identity.createCredential({
      kind: 'token',
      name,
      userId: p.uid,
      tenant,
      role: role ?? p.scope?.role,
      ttlSeconds: ttlSeconds(body, this.identity.tokenDefaultTtlSeconds),
    });
    return { ...credentialView(credential), token: secret };
  }

  @Delete('tokens/:id')
  @UseGuards(AuthenticatedGuard)
  async revokeToken(@Req() req: Request, @Param('id') id: string): Promise<CredentialView> {
    const p = principalOf(req);
    const found = /^[0-9a-f-]{36}$/.test(id) ? await this.identity.getCredential(id) : null;
    // Someone else's token does not exist for the caller (cluster admins see all).
    if (!found || found.kind !== 'token' || (!p.clusterAdmin && found.userId !== p.uid))
      throw errors.notFound('tokens', id);
    await this.identity.revokeCredential(id);
    return credentialView((await this.identity.getCredential(id))!);
  }

  // ---- users (cluster admins) -----------------------------------------------------

  @Get('users')
  @UseGuards(AuthenticatedGuard)
  async listUsers(@Req() req: Request): Promise<{ items: UserView[] }> {
    requireClusterAdmin(principalOf(req));
    return { items: (await this.identity.listUsers()).map(userView) };
  }

  @Post('users')
  @UseGuards(AuthenticatedGuard)
  async createUser(@Req() req: Request): Promise<UserView> {
    requireClusterAdmin(principalOf(req));
    const body = decodeJsonObject(req);
    const username = optionalString(body, 'username', 63);
    if (!username) throw errors.badRequest('username is required');
    const user = await this.identity.createUser({
      username,
      password: body.password === undefined ? undefined : (body.password as string),
      displayName: optionalString(body, 'displayName'),
      clusterAdmin: optionalBool(body, 'clusterAdmin'),
    });
    return userView(user);
  }

  @Patch('users/:username')
  @UseGuards(AuthenticatedGuard)
  async updateUser(@Req() req: Request, @Param('username') username: string): Promise<UserView> {
    const p = principalOf(req);
    requireClusterAdmin(p);
    const body = decodeJsonObject(req);
    const disabled = optionalBool(body, 'disabled');
    const clusterAdmin = optionalBool(body, 'clusterAdmin');
    if (username === p.name && (disabled === true || clusterAdmin === false))
      throw errors.forbidden('you cannot disable yourself or drop your own cluster-admin role');
    if (body.password !== undefined)
      await this.identity.changePassword(username, body.password as string);
    const user = await this.identity.updateUser(username, {
      displayName: optionalString(body, 'displayName'),
      clusterAdmin,
      disabled,
    });
    return userView(user);
  }

  @Delete('users/:username')
  @UseGuards(AuthenticatedGuard)
  async deleteUser(
    @Req() req: Request,
    @Param('username') username: string,
  ): Promise<{ message: string }> {
    const p = principalOf(req);
    requireClusterAdmin(p);
    if (username === p.name) throw errors.forbidden('you cannot delete yourself');
    await this.identity.deleteUser(username);
    return { message: `user "${username}" deleted with all its tokens` };
  }

  // ---- bootstrap tokens and node registration --------------------------------------

  @Get('bootstrap-tokens')
  @UseGuards(AuthenticatedGuard)
  async listBootstrapTokens(@Req() req: Request): Promise<{ items: CredentialView[] }> {
    requireClusterAdmin(principalOf(req));
    const items = await this.identity.listCredentials({ kind: 'bootstrap' });
    return { items: items.map((c) => credentialView(c)) };
  }

  @Post('bootstrap-tokens')
  @UseGuards(AuthenticatedGuard)
  async createBootstrapToken(@Req() req: Request): Promise<CredentialView & { token: string }> {
    requireClusterAdmin(principalOf(req));
    const body = decodeJsonObject(req);
    const { credential, secret } = await this.identity.createCredential({
      kind: 'bootstrap',
      name: optionalString(body, 'name', 63) ?? 'agents',
      ttlSeconds: ttlSeconds(body, 24 * 3600),
    });
    return { ...credentialView(credential), token: secret };
  }

  @Delete('bootstrap-tokens/:id')
  @UseGuards(AuthenticatedGuard)
  async revokeBootstrapToken(
    @Req() req: Request,
    @Param('id') id: string,
  ): Promise<CredentialView> {
    requireClusterAdmin(principalOf(req));
    const found = /^[0-9a-f-]{36}$/.test(id) ? await this.identity.getCredential(id) : null;
    if (!found || found.kind !== 'bootstrap') throw errors.notFound('bootstraptokens', id);
    await this.identity.revokeCredential(id);
    return credentialView((await this.identity.getCredential(id))!);
  }

  /** An agent trades its bootstrap token for a credential bound to its node. */
  @Post('nodes/register')
  @UseGuards(AuthenticatedGuard)
  async registerNode(
    @Req() req: Request,
  ): Promise<{ nodeName: string; token: string; credential: CredentialView }> {
    const p = principalOf(req);
    if (p.kind !== 'bootstrap')
      throw errors.forbidden(
        'only a bootstrap token can register a node (see POST /auth/bootstrap-tokens)',
      );
    const body = decodeJsonObject(req);
    const nodeName = optionalString(body, 'nodeName');
    if (!nodeName) throw errors.badRequest('nodeName is required');
    // The audit trail names the node, for a refused registration too.
    if (req.res) req.res.locals.audit = { name: nodeName };
    const problems = isDNS1123Subdomain(nodeName);
    if (problems.length)
      throw errors.badRequest(`nodeName "${nodeName}" is invalid: ${problems.join(', ')}`);
    const { credential, secret } = await this.identity.issueNodeCredential(
      nodeName,
      p.credentialId!,
    );
    return { nodeName, token: secret, credential: credentialView(credential) };
  }

  /** A node's credentials, live and revoked (cluster admins). */
  @Get('nodes/:name/credentials')
  @UseGuards(AuthenticatedGuard)
  async listNodeCredentials(
    @Req() req: Request,
    @Param('name') name: string,
  ): Promise<{ items: CredentialView[] }> {
    requireClusterAdmin(principalOf(req));
    const items = await this.identity.listNodeCredentials(name);
    return { items: items.map((c) => credentialView(c)) };
  }

  /**
   * Revokes a node's live credentials (cluster admins): its agent is refused from then on,
   * and the name can be registered again with a bootstrap token.
   */
  @Delete('nodes/:name/credentials')
  @UseGuards(AuthenticatedGuard)
  async revokeNodeCredentials(
    @Req() req: Request,
    @Param('name') name: string,
  ): Promise<{ nodeName: string; revoked: number; items: CredentialView[] }> {
    requireClusterAdmin(principalOf(req));
    if (req.res) req.res.locals.audit = { name };
    const known = await this.identity.listNodeCredentials(name);
    if (!known.length) throw errors.notFound('nodecredentials', name);
    const revoked = await this.identity.revokeNodeCredentials(name);
    const items = await this.identity.listNodeCredentials(name);
    return { nodeName: name, revoked, items: items.map((c) => credentialView(c)) };
  }
}
