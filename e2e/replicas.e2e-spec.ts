import http from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { MIGRATIONS_DIR } from '@berth/store';
import { unusedTestDatabase } from '@berth/store/testing';
import { startAgentProcess, type AgentProcess } from './support/agents';
import {
  startApiProcess,
  startWorkerProcess,
  waitFor,
  type ApiProcess,
  type JsonBody,
  type WorkerProcess,
} from './support/processes';

// Several replicas of the cluster over one PostgreSQL database and one Redis prefix: two API
// processes, two workers (one leader) and a simulated node. What one API accepts holds on the
// other within a second, and the death of an API or of the leader worker is survived.

const LEASE_MS = 1500;
const PROPAGATION_LIMIT_MS = 1000;

async function call(
  api: ApiProcess,
  method: string,
  url: string,
  body?: unknown,
  token = api.token,
  contentType = 'application/json',
): Promise<{ status: number; json: JsonBody }> {
  const res = await fetch(`${api.httpUrl}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': contentType }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function ok(api: ApiProcess, method: string, url: string, body?: unknown): Promise<JsonBody> {
  const res = await call(api, method, url, body);
  if (res.status >= 300)
    throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

interface Watch {
  events: Array<{ type: string; object: JsonBody; at: number }>;
  ended: boolean;
  close(): void;
}

/** A watch (streamed JSON lines) on `url` of `api`, each event stamped when it arrived. */
function watch(api: ApiProcess, url: string): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const w: Watch = { events: [], ended: false, close: () => req.destroy() };
    const req = http.get(
      `${api.httpUrl}${url}`,
      { headers: { Authorization: `Bearer ${api.token}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`watch ${url}: ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) w.events.push({ ...JSON.parse(line), at: Date.now() });
          }
        });
        res.on('end', () => (w.ended = true));
        res.on('error', () => (w.ended = true));
        resolve(w);
      },
    );
    req.on('error', (err) => (w.ended ? undefined : reject(err)));
  });
}

/** Milliseconds from now until `check` holds (polled every 10 ms, failing after `limitMs` × 5). */
async function timeUntil(check: () => Promise<boolean>, what: string, limitMs: number) {
  const start = Date.now();
  await waitFor(check, what, limitMs * 5, 10);
  return Date.now() - start;
}

describe('two API replicas and two workers on one database', () => {
  let a: ApiProcess;
  let b: ApiProcess;
  const workers = new Map<string, WorkerProcess>();
  let agent: AgentProcess | undefined;
  let work: string;
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-replicas-'));
    a = await startApiProcess();
    b = await startApiProcess({ replicaOf: a });
    for (const id of ['rw-0', 'rw-1']) {
      workers.set(
        id,
        await startWorkerProcess(a.db.url, a.queuePrefix, id, {
          BERTH_LEADER_LEASE_MS: String(LEASE_MS),
          // A SIGKILLed worker's lock on the key it was reconciling lives this long (60 s
          // by default): short here, as the lease, so the survivor can take the key over.
          BERTH_RECONCILE_LOCK_TTL_MS: String(LEASE_MS),
        }),
      );
    }
    await ok(a, 'POST', '/api/v1/namespaces', { metadata: { name: 'rep' } });
  }, 60_000);

  afterAll(async () => {
    // Print the figures the issue asks for.
    console.log(`replica figures (ms): ${JSON.stringify(figures)}`);
    await agent?.stop();
    for (const w of workers.values()) await w.stop().catch(() => undefined);
    await b?.stop();
    await a?.stop();
    const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${a.queuePrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('delivers a write through API A to a watch on API B within 1 s', async () => {
    const list = await ok(b, 'GET', '/api/v1/namespaces/rep/services');
    const w = await watch(
      b,
      `/api/v1/namespaces/rep/services?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    );
    try {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = Date.now();
        const created = await ok(a, 'POST', '/api/v1/namespaces/rep/services', {
          metadata: { name: `svc-${i}` },
          spec: { ports: [{ port: 80 + i }] },
        });
        await waitFor(
          () => w.events.some((e) => e.object.metadata.name === `svc-${i}`),
          `svc-${i} in the watch on B`,
          5_000,
          5,
        );
        const ev = w.events.find((e) => e.object.metadata.name === `svc-${i}`)!;
        expect(ev.type).toBe('ADDED');
        expect(ev.object.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
        times.push(ev.at - sent);
      }
      figures.watchPropagationMax = Math.max(...times);
      expect(Math.max(...times)).toBeLessThan(PROPAGATION_LIMIT_MS);
    } finally {
      w.close();
    }
  });

  it('makes RBAC and tenant changes made through A hold on B within 1 s', async () => {
    await ok(a, 'POST', '/auth/users', { username: 'rita', password: 'rita-password-12' });
    const login = await call(a, 'POST', '/auth/login', {
      username: 'rita',
      password: 'rita-password-12',
    });
    expect(login.status).toBe(200);
    const token = login.json.token as string;
    const readOnB = async () =>
      (await call(b, 'GET', '/api/v1/namespaces/rep/services', undefined, token)).status;
    // Outside a tenant and without a binding the namespace is hidden (NotFound, or
    // Forbidden): denied either way.
    const denied = (status: number) => status === 403 || status === 404;
    expect(denied(await readOnB())).toBe(true);

    // A RoleBinding granting view, created through A.
    await ok(a, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/rep/rolebindings', {
      metadata: { name: 'rita-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'rita' }],
    });
    figures.rbacGrant = await timeUntil(
      async () => (await readOnB()) === 200,
      'the grant to hold on B',
      PROPAGATION_LIMIT_MS,
    );
    expect(figures.rbacGrant).toBeLessThan(PROPAGATION_LIMIT_MS);

    await ok(
      a,
      'DELETE',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/rep/rolebindings/rita-view',
    );
    figures.rbacRevoke = await timeUntil(
      async () => denied(await readOnB()),
      'the revocation to hold on B',
      PROPAGATION_LIMIT_MS,
    );
    expect(figures.rbacRevoke).toBeLessThan(PROPAGATION_LIMIT_MS);

    // A tenant and a namespace of it, then rita made a developer of it and no longer, through A.
    await ok(a, 'POST', '/apis/tenancy.berth.dev/v1/tenants', {
      metadata: { name: 'team-r' },
      spec: { namespaceLimit: 2, members: [] },
    });
    await ok(a, 'POST', '/api/v1/namespaces', {
      metadata: { name: 'rep-t', labels: { 'tenancy.berth.dev/tenant': 'team-r' } },
    });
    const tenantRead = async () =>
      (await call(b, 'GET', '/api/v1/namespaces/rep-t/services', undefined, token)).status;
    expect(denied(await tenantRead())).toBe(true);
    const members = async (list: unknown[]) =>
      expect(
        (
          await call(
            a,
            'PATCH',
            '/apis/tenancy.berth.dev/v1/tenants/team-r',
            { spec: { members: list } },
            a.token,
            'application/merge-patch+json',
          )
        ).status,
      ).toBe(200);
    await members([{ user: 'rita', role: 'developer' }]);
    figures.tenantGrant = await timeUntil(
      async () => (await tenantRead()) === 200,
      'tenant membership to hold on B',
      PROPAGATION_LIMIT_MS,
    );
    expect(figures.tenantGrant).toBeLessThan(PROPAGATION_LIMIT_MS);
    await members([]);
    figures.tenantRevoke = await timeUntil(
      async () => denied(await tenantRead()),
      'the membership removal to hold on B',
      PROPAGATION_LIMIT_MS,
    );
    expect(figures.tenantRevoke).toBeLessThan(PROPAGATION_LIMIT_MS);
  });

  it('hands leadership over within the lease when the leader worker is SIGKILLed, and the rollout completes', async () => {
    const boot = await ok(b, 'POST', '/auth/bootstrap-tokens', {});
    agent = await startAgentProcess({
      apiUrl: b.httpUrl,
      bootstrapToken: boot.token as string,
      nodeName: 'rep-node',
      dataDir: path.join(work, 'agent'),
      runtime: 'simulated',
      extraArgs: ['--no-proxy'],
    });
    const deployment = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image }] },
        },
      },
    });
    const url = '/apis/apps/v1/namespaces/rep/deployments';
    const rolledOut = async (image: string) => {
      const d = await ok(b, 'GET', `${url}/web`);
      const s = d.status ?? {};
      return (
        d.spec.template.spec.containers[0].image === image &&
        s.observedGeneration === d.metadata.generation &&
        s.updatedReplicas === 3 &&
        s.replicas === 3 &&
        s.availableReplicas === 3
      );
    };
    await ok(b, 'POST', url, deployment('nginx:1.25'));
    await waitFor(() => rolledOut('nginx:1.25'), 'the first rollout', 30_000, 100);

    const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const leaseKey = `${a.queuePrefix}:leader:controller-manager`;
      const leader = await redis.get(leaseKey);
      expect(workers.has(leader!)).toBe(true);
      // The rollout starts, then its leader dies without any clean-up.
      await ok(b, 'PUT', `${url}/web`, {
        ...(await ok(b, 'GET', `${url}/web`)),
        spec: deployment('nginx:1.26').spec,
      });
      const killedAt = Date.now();
      await workers.get(leader!)!.kill();
      workers.delete(leader!);
      const [survivor] = workers.keys();
      await waitFor(
        async () => (await redis.get(leaseKey)) === survivor,
        'the other worker to take the lease',
        LEASE_MS * 4,
        20,
      );
      figures.leaderTakeover = Date.now() - killedAt;
      // Within the lease, plus one renewal interval (a third of it) for the survivor's poll.
      expect(figures.leaderTakeover).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 250);
      await waitFor(() => rolledOut('nginx:1.26'), 'the rollout to complete', 30_000, 100).catch(
        async (err) => {
          const d = await ok(b, 'GET', `${url}/web`);
          const left = [...workers.values()][0].output().slice(-3000);
          throw new Error(
            `${(err as Error).message}: ${JSON.stringify(d.status)}\nsurviving worker:\n${left}`,
          );
        },
      );
      figures.rolloutAfterKill = Date.now() - killedAt;
      const pods = await ok(b, 'GET', '/api/v1/namespaces/rep/pods?labelSelector=app%3Dweb');
      const live = (pods.items as JsonBody[]).filter((p) => !p.metadata.deletionTimestamp);
      await waitFor(
        async () =>
          (
            (await ok(b, 'GET', '/api/v1/namespaces/rep/pods?labelSelector=app%3Dweb'))
              .items as JsonBody[]
          ).every((p) => p.spec.containers[0].image === 'nginx:1.26'),
        'only new pods to remain',
        30_000,
        100,
      );
      expect(live.length).toBeGreaterThanOrEqual(3);
    } finally {
      redis.disconnect();
    }
  }, 60_000);

  it('keeps B serving requests and watches when API A is SIGKILLed', async () => {
    const list = await ok(b, 'GET', '/api/v1/namespaces/rep/services');
    const w = await watch(
      b,
      `/api/v1/namespaces/rep/services?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    );
    try {
      await a.kill();
      expect(a.pid()).toBeUndefined();
      for (let i = 0; i < 5; i++) {
        await ok(b, 'POST', '/api/v1/namespaces/rep/services', {
          metadata: { name: `after-kill-${i}` },
          spec: { ports: [{ port: 8080 }] },
        });
        expect(
          (await call(b, 'GET', `/api/v1/namespaces/rep/services/after-kill-${i}`)).status,
        ).toBe(200);
      }
      await waitFor(
        () => w.events.filter((e) => e.object.metadata.name.startsWith('after-kill-')).length === 5,
        'the five creates in the watch on B',
        5_000,
        10,
      );
      expect(w.ended).toBe(false);
    } finally {
      w.close();
    }
  });

  it('answers every request of a client loop through a rolling restart of both APIs', async () => {
    await a.restart();
    let tried = 0;
    let failed = 0;
    const failures: string[] = [];
    const served = { A: 0, B: 0 };
    // Requests go round-robin over both APIs, each on its keep-alive connection. As
    // client-go does: a refused connection (nothing sent) is retried, on the other API; so
    // is a reset or closed keep-alive connection that answered nothing (Go's Transport
    // replays such a request: the server closed the idle connection as it was reused). A
    // create replayed that way may find its object made by the first try: a 409
    // AlreadyExists then counts only when the object is there.
    const request = async (method: string, url: string, body?: unknown) => {
      const first = tried++ % 2;
      let replayed = false;
      for (let attempt = 0; attempt < 50; attempt++) {
        const api = (first + attempt) % 2 === 0 ? a : b;
        try {
          const res = await call(api, method, url, body);
          served[api === a ? 'A' : 'B']++;
          const name = (body as { metadata?: { name?: string } } | undefined)?.metadata?.name;
          if (replayed && method === 'POST' && res.status === 409 && name) {
            const made = await call(api, 'GET', `${url}/${name}`);
            if (made.status === 200) return;
          }
          if (res.status >= 300) {
            failed++;
            failures.push(
              `${api === a ? 'A' : 'B'} +${Date.now() - t0}ms ${method} ${url}: ${res.status} ${JSON.stringify(res.json)}`,
            );
          }
          return;
        } catch (err) {
          const code = (err as { cause?: { code?: string } }).cause?.code;
          const reset = code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
          const retried = code === 'ECONNREFUSED' || reset;
          if (reset) replayed = true;
          if (!retried) {
            failed++;
            failures.push(
              `${api === a ? 'A' : 'B'} +${Date.now() - t0}ms ${method} ${url}: ${(err as Error).message} (${code})`,
            );
            return;
          }
        }
      }
      failed++;
      failures.push(`${method} ${url}: no API answered`);
    };
    let running = true;
    const t0 = Date.now();
    let n = 0;
    const loop = (async () => {
      while (running) {
        const i = n++;
        await request('POST', '/api/v1/namespaces/rep/services', {
          metadata: { name: `roll-${i}` },
          spec: { ports: [{ port: 9000 }] },
        });
        await request('GET', `/api/v1/namespaces/rep/services/roll-${i}`);
        await request('GET', '/api/v1/namespaces/rep/services?limit=50');
      }
    })();
    // Both APIs serving the loop (from established connections) before each restart.
    const bothServing = async () => {
      const since = { ...served };
      await waitFor(
        () => served.A >= since.A + 10 && served.B >= since.B + 10,
        'both APIs to serve the loop',
        20_000,
        10,
      );
    };
    try {
      for (const api of [a, b]) {
        await bothServing();
        await api.halt();
        await api.restart();
      }
      await bothServing();
    } finally {
      running = false;
      await loop;
    }
    figures.rollingRequestsTried = tried;
    figures.rollingRequestsFailed = failed;
    figures.rollingServedByA = served.A;
    figures.rollingServedByB = served.B;
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(30);
  }, 60_000);
});

describe('two API processes started at the same moment on a database that does not exist yet', () => {
  it('both come up, each migration is applied once and the system objects exist once', async () => {
    const db = unusedTestDatabase('berth_e2e');
    const shared = {
      db,
      token: 'e2e-admin-token-abcdefghijklmnop',
      jwtSecret: 'e2e-jwt-secret-0123456789abcdefghij',
      queuePrefix: `berth-e2e-concurrent-${path.basename(db.url)}`,
    };
    const started = await Promise.allSettled([
      startApiProcess({ replicaOf: shared }),
      startApiProcess({ replicaOf: shared }),
    ]);
    try {
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      const [one, two] = started.map((s) => (s as PromiseFulfilledResult<ApiProcess>).value);
      for (const api of [one, two]) {
        const ns = await ok(api, 'GET', '/api/v1/namespaces/kube-node-lease');
        expect(ns.metadata.name).toBe('kube-node-lease');
        const roles = await ok(api, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles');
        const names = (roles.items as JsonBody[]).map((r) => r.metadata.name as string);
        expect(names.length).toBe(new Set(names).size);
        expect(names).toEqual(expect.arrayContaining(['cluster-admin', 'admin', 'edit', 'view']));
      }
      const pg = new Client({ connectionString: db.url });
      await pg.connect();
      try {
        const rows = (
          await pg.query<{ migration_name: string; n: string }>(
            `SELECT migration_name, count(*) AS n FROM "_prisma_migrations" GROUP BY migration_name ORDER BY 1`,
          )
        ).rows;
        const expected = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
          .sort();
        expect(rows.map((r) => r.migration_name)).toEqual(expected);
        expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
      } finally {
        await pg.end();
      }
    } finally {
      for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
      await db.drop();
    }
  }, 60_000);
});
