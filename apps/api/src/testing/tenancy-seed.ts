import request from 'supertest';
import type { TestApiServer } from './test-api-server';

export const TENANT_ROLES = ['tenant-admin', 'developer', 'viewer'] as const;
export type SeedRole = (typeof TENANT_ROLES)[number];

export interface SeededTenant {
  name: string;
  namespace: string;
  /** username → API token, one user per tenant role. */
  tokens: Record<SeedRole, string>;
  users: Record<SeedRole, string>;
}

export interface TenancySeed {
  a: SeededTenant;
  b: SeededTenant;
  password: string;
}

const PASSWORD = 'seed-password-1';

async function ok(res: request.Response, what: string): Promise<request.Response> {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** An API token for a user, made through the real login and token endpoints. */
export async function tokenFor(t: TestApiServer, username: string, password = PASSWORD) {
  const login = await ok(
    await t.anonymous().post('/auth/login').send({ username, password }),
    `login ${username}`,
  );
  const created = await ok(
    await t
      .anonymous()
      .post('/auth/tokens')
      .set('Authorization', `Bearer ${login.body.token}`)
      .send({ name: 'seed' }),
    `token for ${username}`,
  );
  return created.body.token as string;
}

/**
 * Two tenants (`team-a`, `team-b`), each with one namespace (`a1`, `b1`) and a user per
 * tenant role (`a-admin`, `a-dev`, `a-view`, …) holding an API token — all made through
 * the API as the cluster admin would.
 */
export async function seedTenancy(t: TestApiServer): Promise<TenancySeed> {
  const admin = t.api();
  const seeded: Partial<TenancySeed> = { password: PASSWORD };
  for (const [key, tenant, prefix, ns] of [
    ['a', 'team-a', 'a', 'a1'],
    ['b', 'team-b', 'b', 'b1'],
  ] as const) {
    const users = {
      'tenant-admin': `${prefix}-admin`,
      developer: `${prefix}-dev`,
      viewer: `${prefix}-view`,
    } satisfies Record<SeedRole, string>;
    for (const username of Object.values(users))
      await ok(await admin.post('/auth/users').send({ username, password: PASSWORD }), username);
    await ok(
      await admin.post('/apis/tenancy.berth.dev/v1/tenants').send({
        metadata: { name: tenant },
        spec: {
          displayName: `Team ${key.toUpperCase()}`,
          namespaceLimit: 3,
          members: TENANT_ROLES.map((role) => ({ user: users[role], role })),
        },
      }),
      tenant,
    );
    await ok(
      await admin.post('/api/v1/namespaces').send({
        metadata: { name: ns, labels: { 'tenancy.berth.dev/tenant': tenant } },
      }),
      ns,
    );
    const tokens = {} as Record<SeedRole, string>;
    for (const role of TENANT_ROLES) tokens[role] = await tokenFor(t, users[role]);
    seeded[key] = { name: tenant, namespace: ns, users, tokens };
  }
  return seeded as TenancySeed;
}
