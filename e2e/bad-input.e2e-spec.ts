import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startApiProcess, type ApiProcess } from './support/processes';
import { call, rawCall, type Answer } from './support/raw-http';

// The bad-input suite of issue 18 ("How it must be shown"): the built API as a real
// process, well over 300 malformed, hostile or lenient-looking requests generated from
// tables (kinds × bad bodies × verbs), and for every one of them:
//   - no 5xx, and an answer at all (nothing held open, nothing reset);
//   - every 4xx is a Kubernetes Status (kind Status, apiVersion v1, status Failure, a
//     reason, code equal to the HTTP status, a message without internal text);
//   - the exact code where the issue or Kubernetes says which;
//   - no write: the global revision (a list's resourceVersion: only the API writes, no
//     worker runs) is the same after the request as before it;
// and at the end every target object set up first is read back unchanged.
// A summary table per category is printed at the end.

/** The answer wanted: an exact code, one of a few, any 4xx, or anything but a 5xx. */
type Expect = number | number[] | '4xx' | 'any';

interface Req {
  method: string;
  /** The request target as sent (percent-encoded by the table). */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as these bytes (a string is UTF-8). */
  raw?: string | Buffer;
  /** Content-Type; default application/json when there is a body; null: none. */
  type?: string | null;
  headers?: Record<string, string>;
  /** Bearer token; default the admin's; null: no Authorization header. */
  token?: string | null;
  https?: boolean;
  /** A whole raw HTTP request written to a socket as it is. */
  socket?: string | Buffer;
}

interface Case {
  name: string;
  expect: Expect;
  /** What kube-apiserver answers where that differs from what is accepted (for the report). */
  k8s?: string;
  req: () => Req | Promise<Req>;
  /** Further checks on the answer and the state after it. */
  after?: (a: Answer) => Promise<string[]>;
  timeoutMs?: number;
  /** Puts back what a wrongly accepted request destroyed (after the write check). */
  repair?: () => Promise<void>;
}

// ---------------------------------------------------------------------------------------
// The kinds served, each with a valid object the tables spoil.

interface Kind {
  plural: string;
  base: string;
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  /** The target object set up first (read back at the end). */
  target: string;
  nameRule: 'subdomain' | 'label' | 'path';
  /** The kind's main field (spec, or rules, roleRef…), for wrong-type bodies. */
  main: string;
  valid(name: string): Record<string, unknown>;
}

const NS = 'bi';
const TENANT = 'bi-team';
const RBAC = 'rbac.authorization.k8s.io';
const container = { name: 'c', image: 'busybox' };
const podSpec = () => ({ containers: [{ ...container }] });

const KINDS: Kind[] = [
  {
    plural: 'pods',
    base: '/api/v1',
    kind: 'Pod',
    apiVersion: 'v1',
    namespaced: true,
    target: 'p1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({ metadata: { name }, spec: podSpec() }),
  },
  {
    plural: 'services',
    base: '/api/v1',
    kind: 'Service',
    apiVersion: 'v1',
    namespaced: true,
    target: 's1',
    nameRule: 'label',
    main: 'spec',
    valid: (name) => ({
      metadata: { name },
      spec: { ports: [{ port: 80 }], selector: { app: 'x' } },
    }),
  },
  {
    plural: 'deployments',
    base: '/apis/apps/v1',
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespaced: true,
    target: 'd1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: podSpec() },
      },
    }),
  },
  {
    plural: 'replicasets',
    base: '/apis/apps/v1',
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    namespaced: true,
    target: 'r1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({
      metadata: { name },
      spec: {
        replicas: 0,
        selector: { matchLabels: { rs: name } },
        template: { metadata: { labels: { rs: name } }, spec: podSpec() },
      },
    }),
  },
  {
    plural: 'resourcequotas',
    base: '/api/v1',
    kind: 'ResourceQuota',
    apiVersion: 'v1',
    namespaced: true,
    target: 'q1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({ metadata: { name }, spec: { hard: { pods: '100' } } }),
  },
  {
    plural: 'limitranges',
    base: '/api/v1',
    kind: 'LimitRange',
    apiVersion: 'v1',
    namespaced: true,
    target: 'lr1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({
      metadata: { name },
      spec: { limits: [{ type: 'Container', max: { cpu: '4' } }] },
    }),
  },
  {
    plural: 'roles',
    base: `/apis/${RBAC}/v1`,
    kind: 'Role',
    apiVersion: `${RBAC}/v1`,
    namespaced: true,
    target: 'role1',
    nameRule: 'path',
    main: 'rules',
    valid: (name) => ({
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    }),
  },
  {
    plural: 'rolebindings',
    base: `/apis/${RBAC}/v1`,
    kind: 'RoleBinding',
    apiVersion: `${RBAC}/v1`,
    namespaced: true,
    target: 'rb1',
    nameRule: 'path',
    main: 'roleRef',
    valid: (name) => ({
      metadata: { name },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'role1' },
      subjects: [{ kind: 'User', name: 'someone', apiGroup: RBAC }],
    }),
  },
  {
    plural: 'leases',
    base: '/apis/coordination.k8s.io/v1',
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    namespaced: true,
    target: 'l1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({
      metadata: { name },
      spec: { holderIdentity: 'a', leaseDurationSeconds: 10 },
    }),
  },
  {
    plural: 'events',
    base: '/api/v1',
    kind: 'Event',
    apiVersion: 'v1',
    namespaced: true,
    target: 'e1',
    nameRule: 'subdomain',
    main: 'involvedObject',
    valid: (name) => ({
      metadata: { name },
      involvedObject: { kind: 'Pod', name: 'p1', namespace: NS, apiVersion: 'v1' },
      reason: 'Test',
      message: 'a test event',
      type: 'Normal',
    }),
  },
  {
    plural: 'endpoints',
    base: '/api/v1',
    kind: 'Endpoints',
    apiVersion: 'v1',
    namespaced: true,
    target: 'ep1',
    nameRule: 'subdomain',
    main: 'subsets',
    valid: (name) => ({ metadata: { name }, subsets: [] }),
  },
  {
    plural: 'namespaces',
    base: '/api/v1',
    kind: 'Namespace',
    apiVersion: 'v1',
    namespaced: false,
    target: NS,
    nameRule: 'label',
    main: 'spec',
    valid: (name) => ({
      metadata: { name, labels: { 'tenancy.berth.dev/tenant': TENANT } },
    }),
  },
  {
    plural: 'tenants',
    base: '/apis/tenancy.berth.dev/v1',
    kind: 'Tenant',
    apiVersion: 'tenancy.berth.dev/v1',
    namespaced: false,
    target: TENANT,
    nameRule: 'label',
    main: 'spec',
    valid: (name) => ({ metadata: { name }, spec: { namespaceLimit: 100 } }),
  },
  {
    plural: 'quotarequests',
    base: '/apis/tenancy.berth.dev/v1',
    kind: 'QuotaRequest',
    apiVersion: 'tenancy.berth.dev/v1',
    namespaced: false,
    target: 'qr1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({
      metadata: { name },
      spec: { tenant: TENANT, hard: { pods: '10' }, reason: 'more pods' },
    }),
  },
  {
    plural: 'nodes',
    base: '/api/v1',
    kind: 'Node',
    apiVersion: 'v1',
    namespaced: false,
    target: 'n1',
    nameRule: 'subdomain',
    main: 'spec',
    valid: (name) => ({ metadata: { name } }),
  },
  {
    plural: 'clusterroles',
    base: `/apis/${RBAC}/v1`,
    kind: 'ClusterRole',
    apiVersion: `${RBAC}/v1`,
    namespaced: false,
    target: 'cr1',
    nameRule: 'path',
    main: 'rules',
    valid: (name) => ({
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    }),
  },
  {
    plural: 'clusterrolebindings',
    base: `/apis/${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    apiVersion: `${RBAC}/v1`,
    namespaced: false,
    target: 'crb1',
    nameRule: 'path',
    main: 'roleRef',
    valid: (name) => ({
      metadata: { name },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cr1' },
      subjects: [{ kind: 'User', name: 'someone', apiGroup: RBAC }],
    }),
  },
];

const kind = (plural: string) => KINDS.find((k) => k.plural === plural)!;
const collection = (k: Kind, ns = NS) =>
  `${k.base}${k.namespaced ? `/namespaces/${ns}` : ''}/${k.plural}`;
const item = (k: Kind, name = k.target, ns = NS) => `${collection(k, ns)}/${name}`;
/** The valid object with its kind and apiVersion. */
const full = (k: Kind, name: string): Record<string, unknown> => ({
  apiVersion: k.apiVersion,
  kind: k.kind,
  ...k.valid(name),
});

let seq = 0;
/** A fresh name, so a wrongly accepted create never turns a later case into a 409. */
const fresh = (prefix = 'bad') => `${prefix}-${++seq}`;

const clone = <T>(v: T): T => structuredClone(v);
/** Sets `value` at a dotted path (numbers index arrays) in a copy of `o`. */
function setPath(o: Record<string, unknown>, at: string, value: unknown) {
  const copy = clone(o);
  const keys = at.split('.');
  let cur = copy as Record<string, unknown>;
  keys.slice(0, -1).forEach((k, i) => {
    cur[k] ??= /^\d+$/.test(keys[i + 1]) ? [] : {};
    cur = cur[k] as Record<string, unknown>;
  });
  cur[keys[keys.length - 1]] = value;
  return copy;
}

/** A JSON text with `"__V__"` replaced by a raw JSON token (for 1e400 and friends). */
const withToken = (o: unknown, token: string) => JSON.stringify(o).replace('"__V__"', token);

const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const SMP = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const PROTOBUF = 'application/vnd.kubernetes.protobuf';
/** Stands for the current pod victim in tables (see onVictim). */
const VICTIM_POD = '<victim pod>';

// ---------------------------------------------------------------------------------------
// The suite.

describe('bad input (issue 18)', () => {
  let api: ApiProcess;
  let ca: string;
  let sessionToken: string;
  let expiredToken: string;
  let revokedToken: string;
  /** The objects set up first: as they were, and as last seen (a wrong write moves it). */
  const targets: { path: string; uid: string; resourceVersion: string; seen: string }[] = [];
  /** Objects the DELETE cases aim at, replaced by a fresh one when a wrong delete took them. */
  const victims = new Map<string, { path: string; uid: string; resourceVersion: string }>();
  let replacedVictims = 0;
  const results: { category: string; total: number; failed: number; ms: number }[] = [];
  let startRevision = '';

  const send = (r: Req, timeoutMs = 10_000): Promise<Answer> => {
    const base = r.https ? api.url : api.httpUrl;
    if (r.socket !== undefined) {
      const bytes = Buffer.isBuffer(r.socket) ? r.socket : Buffer.from(r.socket, 'utf8');
      return rawCall(base, bytes, timeoutMs, ca);
    }
    const body =
      r.raw !== undefined
        ? Buffer.isBuffer(r.raw)
          ? r.raw
          : Buffer.from(r.raw, 'utf8')
        : r.body !== undefined
          ? Buffer.from(JSON.stringify(r.body), 'utf8')
          : undefined;
    const headers: Record<string, string> = { ...r.headers };
    const token = r.token === undefined ? api.token : r.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const type = r.type === undefined ? (body ? 'application/json' : null) : r.type;
    if (type !== null) headers['content-type'] = type;
    return call({ base, method: r.method, path: r.path, headers, body, ca, timeoutMs });
  };

  const admin = async (method: string, p: string, body?: unknown, type?: string) => {
    const a = await send({ method, path: p, body, type });
    if (a.status >= 300) throw new Error(`${method} ${p}: ${a.status} ${a.text}`);
    return a.json;
  };

  /** The global revision: a list's resourceVersion (nothing but this suite writes). */
  const revision = async (): Promise<string> => {
    const a = await send({ method: 'GET', path: '/api/v1/namespaces?limit=1' });
    const rv = a.json?.metadata?.resourceVersion;
    if (a.status !== 200 || typeof rv !== 'string')
      throw new Error(`could not read the revision: ${a.status} ${a.text}`);
    return rv;
  };

  /** Internal text that must never reach a client. */
  const INTERNAL =
    /(\/work\/|\/home\/|\/usr\/|\/tmp\/|\/root\/|\/var\/|node_modules|ECONNREFUSED|ECONNRESET|invalid byte sequence|unsupported Unicode escape|\bat [\w.<>$]+ \(|\.[jt]s:\d+|prisma|syntax error at|TypeError|ReferenceError|RangeError|Cannot read properties|Maximum call stack)/i;

  function statusProblems(a: Answer): string[] {
    const p: string[] = [];
    const s = a.json;
    if (!s || typeof s !== 'object')
      return [`a ${a.status} without a Status body (${JSON.stringify(a.text.slice(0, 80))})`];
    if (s.kind !== 'Status') p.push(`kind ${JSON.stringify(s.kind)}, not Status`);
    if (s.apiVersion !== 'v1') p.push(`apiVersion ${JSON.stringify(s.apiVersion)}`);
    if (s.status !== 'Failure') p.push(`status ${JSON.stringify(s.status)}`);
    if (s.code !== a.status) p.push(`code ${JSON.stringify(s.code)} ≠ HTTP ${a.status}`);
    if (typeof s.reason !== 'string' || !s.reason) p.push('no reason');
    if (typeof s.message !== 'string' || !s.message.trim()) p.push('no message');
    if (INTERNAL.test(a.text))
      p.push(`internal text in the answer: ${JSON.stringify(INTERNAL.exec(a.text)![0])}`);
    return p;
  }

  function answerProblems(a: Answer, expect: Expect): string[] {
    if (a.status === 0) return [`no answer (${a.failure ?? 'nothing'}) within the deadline`];
    const p: string[] = [];
    if (a.failure) p.push(`incomplete answer (${a.failure})`);
    if (a.status >= 500) p.push(`${a.status}: a 5xx`);
    else if (typeof expect === 'number' && a.status !== expect)
      p.push(`${a.status}, expected ${expect}`);
    else if (Array.isArray(expect) && !expect.includes(a.status))
      p.push(`${a.status}, expected one of ${expect.join('/')}`);
    else if (expect === '4xx' && (a.status < 400 || a.status >= 500))
      p.push(`${a.status}, expected a 4xx`);
    if (a.status >= 400) p.push(...statusProblems(a));
    return p;
  }

  async function runCategory(category: string, cases: Case[]): Promise<void> {
    const started = Date.now();
    const failures: string[] = [];
    let before = await revision();
    for (const c of cases) {
      const r = await c.req();
      const a = await send(r, c.timeoutMs ?? 10_000);
      const problems = answerProblems(a, c.expect);
      if (c.after) problems.push(...(await c.after(a)));
      const after = await revision();
      if (after !== before) problems.push(`it wrote: the revision went from ${before} to ${after}`);
      before = after;
      if (c.repair) {
        await c.repair();
        before = await revision();
      }
      if (problems.length) {
        const msg = typeof a.json?.message === 'string' ? ` «${a.json.message.slice(0, 140)}»` : '';
        failures.push(
          `${c.name}: ${problems.join('; ')}${msg}${c.k8s ? ` (Kubernetes: ${c.k8s})` : ''}`,
        );
      }
    }
    results.push({
      category,
      total: cases.length,
      failed: failures.length,
      ms: Date.now() - started,
    });
    expect({ category, failures }).toEqual({ category, failures: [] });
  }

  /** After a refused or dry-run request: the target is still there, unchanged. */
  const unchanged = (p: string) => async (): Promise<string[]> => {
    const t = targets.find((x) => x.path === p);
    const a = await send({ method: 'GET', path: p });
    if (a.status !== 200) return [`${p} is gone (${a.status})`];
    const m = a.json.metadata;
    const problems: string[] = [];
    if (m.deletionTimestamp) problems.push(`${p} is being deleted`);
    if (t && m.resourceVersion !== t.seen) {
      problems.push(`${p} changed (resourceVersion ${t.seen} → ${m.resourceVersion})`);
      t.seen = m.resourceVersion;
    }
    return problems;
  };

  const VICTIM_NS = 'bi-v';
  const createVictim = async (plural: string) => {
    const k = kind(plural);
    const name = plural === 'namespaces' ? fresh('bi-victim') : fresh('victim');
    // In a namespace of their own: re-creating them must not touch the targets (the
    // ResourceQuota in the targets' namespace counts pods).
    const o = await admin('POST', collection(k, VICTIM_NS), k.valid(name));
    victims.set(plural, {
      path: item(k, name, VICTIM_NS),
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
    });
  };

  /** A case aimed at the current victim of a kind; a victim it damaged is replaced. */
  const onVictim = (
    plural: string,
    c: Omit<Case, 'req' | 'after' | 'repair'> & { req: (p: string) => Req },
  ): Case => {
    let v: { path: string; uid: string; resourceVersion: string };
    let damaged = false;
    return {
      ...c,
      req: () => {
        v = victims.get(plural)!;
        return c.req(v.path);
      },
      after: async () => {
        const a = await send({ method: 'GET', path: v.path });
        const problems: string[] = [];
        if (a.status !== 200) problems.push(`${v.path} was deleted (${a.status})`);
        else if (a.json.metadata.deletionTimestamp) problems.push(`${v.path} is being deleted`);
        else if (a.json.metadata.resourceVersion !== v.resourceVersion)
          problems.push(`${v.path} changed`);
        damaged = problems.length > 0;
        return problems;
      },
      repair: async () => {
        if (!damaged) return;
        replacedVictims++;
        await createVictim(plural);
      },
    };
  };

  /** The collection the deletecollection cases aim at: repopulated when a wrong one emptied it. */
  const DC_NS = 'bi-dc';
  const fillCollection = async () => {
    for (const plural of ['pods', 'leases', 'services']) {
      const k = kind(plural);
      const a = await send({ method: 'GET', path: item(k, 'dc1', DC_NS) });
      if (a.status === 404) await admin('POST', collection(k, DC_NS), k.valid('dc1'));
    }
  };
  const onCollection = (
    plural: string,
    c: Omit<Case, 'req' | 'after' | 'repair'> & { req: (p: string) => Req },
  ): Case => ({
    ...c,
    req: () => c.req(collection(kind(plural), DC_NS)),
    after: async () => {
      const a = await send({ method: 'GET', path: item(kind(plural), 'dc1', DC_NS) });
      return a.status === 200 && !a.json.metadata.deletionTimestamp
        ? []
        : [`${plural} in ${DC_NS} were deleted`];
    },
    repair: async () => {
      const a = await send({ method: 'GET', path: item(kind(plural), 'dc1', DC_NS) });
      if (a.status !== 200) {
        replacedVictims++;
        await fillCollection();
      }
    },
  });

  /** A case at `p`, or at the current pod victim when `p` is VICTIM_POD. */
  const aimed = (
    p: string,
    c: Omit<Case, 'req' | 'after' | 'repair'> & { req: (p: string) => Req },
  ): Case =>
    p === VICTIM_POD
      ? onVictim('pods', c)
      : { ...c, req: () => c.req(p), after: unchanged(item(kind('pods'))) };

  beforeAll(async () => {
    api = await startApiProcess();
    const kubeconfig = readFileSync(api.kubeconfig, 'utf8');
    ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(kubeconfig)![1], 'base64').toString();
    // The targets: one object of every kind served (two pods and leases, for continue tokens).
    await admin('POST', '/apis/tenancy.berth.dev/v1/tenants', kind('tenants').valid(TENANT));
    await admin('POST', '/api/v1/namespaces', kind('namespaces').valid(NS));
    const order = ['nodes', 'clusterroles', 'clusterrolebindings', 'quotarequests'];
    for (const k of KINDS) {
      if (k.plural === 'namespaces' || k.plural === 'tenants' || order.includes(k.plural)) continue;
      await admin('POST', collection(k), k.valid(k.target));
    }
    for (const plural of order)
      await admin('POST', collection(kind(plural)), kind(plural).valid(kind(plural).target));
    await admin('POST', collection(kind('pods')), kind('pods').valid('p2'));
    await admin('POST', collection(kind('leases')), kind('leases').valid('l2'));
    for (const k of KINDS) {
      const p = item(k, k.target);
      const o = await admin('GET', p);
      targets.push({
        path: p,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        seen: o.metadata.resourceVersion,
      });
    }
    await admin('POST', '/api/v1/namespaces', kind('namespaces').valid(VICTIM_NS));
    for (const plural of [
      'pods',
      'services',
      'deployments',
      'replicasets',
      'roles',
      'leases',
      'namespaces',
      'tenants',
    ])
      await createVictim(plural);
    await admin('POST', '/api/v1/namespaces', kind('namespaces').valid(DC_NS));
    await fillCollection();
    for (const [p, name] of [
      [collection(kind('pods')), 'p2'],
      [collection(kind('leases')), 'l2'],
    ]) {
      const o = await admin('GET', `${p}/${name}`);
      targets.push({
        path: `${p}/${name}`,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        seen: o.metadata.resourceVersion,
      });
    }
    // Credentials: a session, the same session expired (signed with the server's own key),
    // and a revoked API token.
    await admin('POST', '/auth/users', { username: 'bi-user', password: 'bi-password-123' });
    const login = await send({
      method: 'POST',
      path: '/auth/login',
      body: { username: 'bi-user', password: 'bi-password-123' },
      token: null,
    });
    sessionToken = login.json.token;
    const [h, payload] = sessionToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const past = Math.floor(Date.now() / 1000) - 3600;
    const body = Buffer.from(
      JSON.stringify({ ...claims, iat: past - 60, iatMs: (past - 60) * 1000, exp: past }),
    ).toString('base64url');
    const secret = readFileSync(path.join(api.dataDir, 'jwt-secret'), 'utf8').trim();
    expiredToken = `${h}.${body}.${createHmac('sha256', secret).update(`${h}.${body}`).digest('base64url')}`;
    const created = await send({
      method: 'POST',
      path: '/auth/tokens',
      body: { name: 'to-revoke' },
      token: sessionToken,
    });
    if (created.status !== 201 && created.status !== 200)
      throw new Error(`token: ${created.status} ${created.text}`);
    revokedToken = created.json.token;
    const revoked = await send({
      method: 'DELETE',
      path: `/auth/tokens/${created.json.id}`,
      token: sessionToken,
    });
    if (revoked.status !== 200) throw new Error(`revoke: ${revoked.status} ${revoked.text}`);
    startRevision = await revision();
  }, 120_000);

  afterAll(async () => {
    if (results.length) {
      const rows = results.map((r) => ({
        category: r.category,
        requests: r.total,
        passed: r.total - r.failed,
        failed: r.failed,
        seconds: Math.round(r.ms / 100) / 10,
      }));
      const total = rows.reduce((n, r) => n + r.requests, 0);
      const failed = rows.reduce((n, r) => n + r.failed, 0);
      const seconds = Math.round(rows.reduce((n, r) => n + r.seconds, 0) * 10) / 10;
      rows.push({ category: 'TOTAL', requests: total, passed: total - failed, failed, seconds });
      console.table(rows);
    }
    await api?.stop();
  });

  // ---- bodies of the wrong type, for every kind served --------------------------------

  it('refuses bodies of the wrong type for every kind (create and update)', async () => {
    const cases: Case[] = [];
    for (const k of KINDS) {
      const bodies: [string, () => string][] = [
        ['an array', () => '[]'],
        ['a string', () => '"pod"'],
        ['a number', () => '42'],
        ['null', () => 'null'],
        ['metadata a string', () => JSON.stringify({ ...full(k, 'x'), metadata: 'x' })],
        [
          'metadata.name a number',
          () => JSON.stringify({ ...full(k, 'x'), metadata: { name: 42 } }),
        ],
        [
          'labels an array',
          () => JSON.stringify(setPath(full(k, fresh()), 'metadata.labels', ['a'])),
        ],
        [
          'a label value a number',
          () => JSON.stringify(setPath(full(k, fresh()), 'metadata.labels', { a: 1 })),
        ],
        [
          'an annotation value an object',
          () => JSON.stringify(setPath(full(k, fresh()), 'metadata.annotations', { a: { b: 1 } })),
        ],
        [
          'finalizers a string',
          () => JSON.stringify(setPath(full(k, fresh()), 'metadata.finalizers', 'x')),
        ],
        [`${k.main} a string`, () => JSON.stringify({ ...full(k, fresh()), [k.main]: 'x' })],
        [
          `${k.main} an array`,
          () => JSON.stringify({ ...full(k, fresh()), [k.main]: k.main === 'subsets' ? 'x' : [1] }),
        ],
      ];
      for (const [what, raw] of bodies)
        cases.push({
          name: `POST ${k.plural}: ${what}`,
          expect: [400, 422],
          k8s: '400 BadRequest (the body does not decode into the type)',
          req: () => ({ method: 'POST', path: collection(k), raw: raw() }),
        });
      for (const [what, raw] of [
        ['an array', () => '[]'],
        ['a string', () => '"x"'],
        [`${k.main} a string`, () => JSON.stringify({ ...full(k, k.target), [k.main]: 'x' })],
        [
          'metadata.labels a string',
          () => JSON.stringify(setPath(full(k, k.target), 'metadata.labels', 'x')),
        ],
      ] as [string, () => string][])
        cases.push({
          name: `PUT ${k.plural}/${k.target}: ${what}`,
          expect: [400, 422],
          req: () => ({ method: 'PUT', path: item(k), raw: raw() }),
          after: unchanged(item(k)),
        });
    }
    await runCategory('wrong-type bodies', cases);
  });

  // ---- integers: int32 (and int64) overflow, fractions, strings, negatives ------------

  it('refuses integers beyond int32, fractions, strings and negatives where not allowed', async () => {
    const OVERFLOW = [
      '10000000000',
      '2147483648',
      '-2147483649',
      '1.5',
      '1e400',
      '"1"',
      'true',
      '"NaN"',
    ];
    const fields: [string, string, boolean][] = [
      // kind, field, -1 refused too
      ['deployments', 'spec.replicas', true],
      ['deployments', 'spec.revisionHistoryLimit', true],
      ['deployments', 'spec.minReadySeconds', true],
      ['deployments', 'spec.progressDeadlineSeconds', true],
      ['deployments', 'spec.template.spec.containers.0.ports', false],
      ['replicasets', 'spec.replicas', true],
      ['replicasets', 'spec.minReadySeconds', true],
      ['pods', 'spec.containers.0.ports.0.containerPort', true],
      ['pods', 'spec.containers.0.livenessProbe.initialDelaySeconds', true],
      ['pods', 'spec.containers.0.readinessProbe.periodSeconds', true],
      ['pods', 'spec.containers.0.livenessProbe.failureThreshold', true],
      ['pods', 'spec.containers.0.startupProbe.timeoutSeconds', true],
      ['services', 'spec.ports.0.port', true],
      ['services', 'spec.ports.0.targetPort', true],
      ['leases', 'spec.leaseDurationSeconds', true],
      ['leases', 'spec.leaseTransitions', true],
      ['events', 'count', false],
    ];
    const probe = { tcpSocket: { port: 80 } };
    const cases: Case[] = [];
    for (const [plural, field, negative] of fields) {
      const k = kind(plural);
      const values = [...OVERFLOW, ...(negative ? ['-1'] : [])];
      for (const v of values) {
        if (field.endsWith('.ports') && v !== '"1"' && v !== 'true') continue; // ports: a list
        cases.push({
          name: `POST ${plural} ${field}=${v}`,
          expect: [400, 422],
          k8s: v === '-1' ? '422 Invalid' : '400 BadRequest (does not decode into int32)',
          req: () => {
            let o = full(k, fresh());
            if (field.includes('Probe.')) {
              const probeName = field.split('.')[3];
              o = setPath(o, `spec.containers.0.${probeName}`, { ...probe });
            }
            if (field.includes('containerPort')) o = setPath(o, 'spec.containers.0.ports', [{}]);
            return {
              method: 'POST',
              path: collection(k),
              raw: withToken(setPath(o, field, '__V__'), v),
            };
          },
        });
      }
    }
    // int64 fields: only what does not fit an int64, or is not an integer.
    for (const field of ['spec.terminationGracePeriodSeconds', 'spec.activeDeadlineSeconds'])
      for (const v of ['9223372036854775808', '1.5', '"30"', '1e400', 'true'])
        cases.push({
          name: `POST pods ${field}=${v}`,
          expect: [400, 422],
          req: () => ({
            method: 'POST',
            path: collection(kind('pods')),
            raw: withToken(setPath(full(kind('pods'), fresh()), field, '__V__'), v),
          }),
        });
    cases.push({
      name: 'POST pods spec.activeDeadlineSeconds=0',
      expect: 422,
      req: () => ({
        method: 'POST',
        path: collection(kind('pods')),
        body: setPath(full(kind('pods'), fresh()), 'spec.activeDeadlineSeconds', 0),
      }),
    });
    // The same through the scale subresource and patches of the target.
    for (const v of ['10000000000', '2147483648', '-1', '1.5', '"3"']) {
      cases.push({
        name: `PUT deployments/d1/scale replicas=${v}`,
        expect: [400, 422],
        req: () => ({
          method: 'PUT',
          path: `${item(kind('deployments'))}/scale`,
          raw: withToken(
            {
              apiVersion: 'autoscaling/v1',
              kind: 'Scale',
              metadata: { name: 'd1', namespace: NS },
              spec: { replicas: '__V__' },
            },
            v,
          ),
        }),
        after: unchanged(item(kind('deployments'))),
      });
      cases.push({
        name: `PATCH (merge) deployments/d1 replicas=${v}`,
        expect: [400, 422],
        req: () => ({
          method: 'PATCH',
          path: item(kind('deployments')),
          type: MERGE,
          raw: withToken({ spec: { replicas: '__V__' } }, v),
        }),
        after: unchanged(item(kind('deployments'))),
      });
      cases.push({
        name: `PATCH (merge) deployments/d1/scale replicas=${v}`,
        expect: [400, 422],
        req: () => ({
          method: 'PATCH',
          path: `${item(kind('deployments'))}/scale`,
          type: MERGE,
          raw: withToken({ spec: { replicas: '__V__' } }, v),
        }),
        after: unchanged(item(kind('deployments'))),
      });
    }
    await runCategory('int32 and numbers', cases);
  });

  // ---- names, huge strings, deep nesting ------------------------------------------------

  it('refuses invalid names, oversized strings and deep nesting', async () => {
    const cases: Case[] = [];
    const everywhere = ['..', '.', 'a/b', 'a%b', ''];
    const dnsOnly = ['UPPER', 'a'.repeat(254), 'a b', '-a', 'a_b', 'é', 'a.'];
    for (const k of KINDS) {
      const names = k.nameRule === 'path' ? everywhere : [...everywhere, ...dnsOnly];
      for (const name of names)
        cases.push({
          name: `POST ${k.plural} name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 5)}…(${name.length})` : name)}`,
          expect: [400, 422],
          k8s: '422 Invalid (metadata.name)',
          req: () => ({ method: 'POST', path: collection(k), body: full(k, name) }),
        });
    }
    for (const k of [kind('pods'), kind('services'), kind('namespaces'), kind('leases')]) {
      const big = (o: Record<string, unknown>) => o;
      cases.push(
        {
          name: `POST ${k.plural} label value of 64 characters`,
          expect: 422,
          req: () => ({
            method: 'POST',
            path: collection(k),
            body: setPath(full(k, fresh()), 'metadata.labels', { a: 'v'.repeat(64) }),
          }),
        },
        {
          name: `POST ${k.plural} label key with two slashes`,
          expect: 422,
          req: () => ({
            method: 'POST',
            path: collection(k),
            body: setPath(full(k, fresh()), 'metadata.labels', { 'a/b/c': 'v' }),
          }),
        },
        {
          name: `POST ${k.plural} label value of 1 MB`,
          expect: 422,
          req: () => ({
            method: 'POST',
            path: collection(k),
            body: setPath(full(k, fresh()), 'metadata.labels', { a: 'v'.repeat(1 << 20) }),
          }),
        },
        {
          name: `POST ${k.plural} annotations over 256 KiB`,
          expect: 422,
          req: () => ({
            method: 'POST',
            path: collection(k),
            body: big(
              setPath(full(k, fresh()), 'metadata.annotations', { a: 'x'.repeat(300_000) }),
            ),
          }),
        },
        {
          name: `POST ${k.plural} generateName "UPPER-" without a name`,
          expect: 422,
          req: () => {
            const o = full(k, 'x');
            o.metadata = {
              ...(o.metadata as object),
              name: undefined,
              generateName: 'UPPER-',
            };
            return { method: 'POST', path: collection(k), body: o };
          },
        },
      );
    }
    const deep = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
    for (const depth of [1_000, 10_001, 100_000])
      for (const k of [kind('pods'), kind('deployments'), kind('namespaces')]) {
        cases.push({
          name: `POST ${k.plural} with spec.x nested ${depth} deep`,
          expect: [400, 422],
          k8s: depth > 10_000 ? '400 (exceeded max depth)' : '400/422',
          req: () => {
            const o = JSON.stringify(setPath(full(k, fresh()), 'spec.x', '__V__'));
            return {
              method: 'POST',
              path: `${collection(k)}?fieldValidation=Strict`,
              raw: o.replace('"__V__"', deep(depth)),
            };
          },
        });
        cases.push({
          name: `POST ${k.plural} with an annotation nested ${depth} deep (fieldValidation Warn)`,
          expect: [400, 422],
          req: () => {
            const o = JSON.stringify(setPath(full(k, fresh()), 'metadata.annotations', '__V__'));
            return { method: 'POST', path: collection(k), raw: o.replace('"__V__"', deep(depth)) };
          },
        });
      }
    for (const depth of [10_001, 100_000]) {
      cases.push({
        name: `POST pods: a body of arrays nested ${depth} deep`,
        expect: 400,
        req: () => ({
          method: 'POST',
          path: collection(kind('pods')),
          raw: '['.repeat(depth) + ']'.repeat(depth),
        }),
      });
      cases.push({
        name: `PATCH (merge) pods/p1 nested ${depth} deep`,
        expect: [400, 422],
        req: () => ({
          method: 'PATCH',
          path: item(kind('pods')),
          type: MERGE,
          raw: `{"metadata":{"annotations":${deep(depth)}}}`,
        }),
        after: unchanged(item(kind('pods'))),
      });
      cases.push({
        name: `PATCH (strategic) pods/p1 nested ${depth} deep`,
        expect: [400, 422],
        req: () => ({
          method: 'PATCH',
          path: item(kind('pods')),
          type: SMP,
          raw: `{"spec":${deep(depth)}}`,
        }),
        after: unchanged(item(kind('pods'))),
      });
      cases.push(
        aimed(VICTIM_POD, {
          name: `DELETE pods/<victim> with DeleteOptions nested ${depth} deep`,
          expect: 400,
          req: (p) => ({ method: 'DELETE', path: p, raw: `{"preconditions":${deep(depth)}}` }),
        }),
      );
    }
    await runCategory('names, sizes, nesting', cases);
  });

  // ---- required fields ----------------------------------------------------------------

  it('refuses objects missing required fields', async () => {
    const p = kind('pods');
    const d = kind('deployments');
    const missing: [Kind, string, () => Record<string, unknown>][] = [
      [p, 'no containers', () => setPath(full(p, fresh()), 'spec.containers', [])],
      [
        p,
        'a container without a name',
        () => setPath(full(p, fresh()), 'spec.containers', [{ image: 'busybox' }]),
      ],
      [
        p,
        'a container without an image',
        () => setPath(full(p, fresh()), 'spec.containers', [{ name: 'c' }]),
      ],
      [p, 'no spec', () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: fresh() } })],
      [
        p,
        'a port without containerPort',
        () => setPath(full(p, fresh()), 'spec.containers.0.ports', [{ name: 'http' }]),
      ],
      [
        p,
        'an env var without a name',
        () => setPath(full(p, fresh()), 'spec.containers.0.env', [{ value: 'x' }]),
      ],
      [p, 'no name', () => ({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: podSpec() })],
      [d, 'no selector', () => setPath(full(d, fresh()), 'spec.selector', undefined)],
      [d, 'no template', () => setPath(full(d, fresh()), 'spec.template', undefined)],
      [
        d,
        'a selector not matching the template',
        () => setPath(full(d, fresh()), 'spec.selector', { matchLabels: { other: 'x' } }),
      ],
      [d, 'an empty selector', () => setPath(full(d, fresh()), 'spec.selector', {})],
      [
        kind('services'),
        'a port without port',
        () => setPath(full(kind('services'), fresh()), 'spec.ports', [{ name: 'x' }]),
      ],
      [
        kind('rolebindings'),
        'no roleRef',
        () => ({ ...full(kind('rolebindings'), fresh()), roleRef: undefined }),
      ],
      [
        kind('roles'),
        'a rule without verbs',
        () =>
          setPath(full(kind('roles'), fresh()), 'rules', [
            { apiGroups: [''], resources: ['pods'] },
          ]),
      ],
      [
        kind('limitranges'),
        'a limit without type',
        () => setPath(full(kind('limitranges'), fresh()), 'spec.limits', [{ max: { cpu: '1' } }]),
      ],
      [
        kind('events'),
        'no involvedObject',
        () => ({ ...full(kind('events'), fresh()), involvedObject: undefined }),
      ],
      [
        kind('quotarequests'),
        'no tenant',
        () => setPath(full(kind('quotarequests'), fresh()), 'spec.tenant', undefined),
      ],
      [
        kind('quotarequests'),
        'no hard',
        () => setPath(full(kind('quotarequests'), fresh()), 'spec.hard', undefined),
      ],
      [
        kind('clusterrolebindings'),
        'a roleRef without name',
        () => setPath(full(kind('clusterrolebindings'), fresh()), 'roleRef.name', undefined),
      ],
      [
        kind('namespaces'),
        'no name',
        () => ({ apiVersion: 'v1', kind: 'Namespace', metadata: {} }),
      ],
    ];
    const cases: Case[] = missing.map(([k, what, body]) => ({
      name: `POST ${k.plural}: ${what}`,
      expect: 422,
      req: () => ({ method: 'POST', path: collection(k), body: body() }),
    }));
    await runCategory('required fields', cases);
  });

  // ---- unknown fields with fieldValidation=Strict --------------------------------------

  it('refuses unknown and duplicate fields with fieldValidation=Strict', async () => {
    const cases: Case[] = [];
    for (const k of KINDS) {
      cases.push({
        name: `POST ${k.plural}?fieldValidation=Strict with an unknown top-level field`,
        expect: 400,
        req: () => ({
          method: 'POST',
          path: `${collection(k)}?fieldValidation=Strict`,
          body: { ...full(k, fresh()), bogusField: 1 },
        }),
      });
      cases.push({
        name: `POST ${k.plural}?fieldValidation=Strict with an unknown metadata field`,
        expect: 400,
        req: () => ({
          method: 'POST',
          path: `${collection(k)}?fieldValidation=Strict`,
          body: setPath(full(k, fresh()), 'metadata.bogus', 1),
        }),
      });
      cases.push({
        name: `POST ${k.plural}?fieldValidation=Strict with a duplicate field`,
        expect: 400,
        k8s: '400 (strict decoding error: duplicate field)',
        req: () => ({
          method: 'POST',
          path: `${collection(k)}?fieldValidation=Strict`,
          raw: JSON.stringify(full(k, fresh())).replace(/^\{/, `{"kind":"${k.kind}",`),
        }),
      });
      cases.push({
        name: `PUT ${k.plural}/${k.target}?fieldValidation=Strict with an unknown field`,
        expect: [400, 409],
        req: () => ({
          method: 'PUT',
          path: `${item(k)}?fieldValidation=Strict`,
          body: { ...full(k, k.target), bogusField: 1 },
        }),
        after: unchanged(item(k)),
      });
      cases.push({
        name: `POST ${k.plural}?fieldValidation=Bogus`,
        expect: [400, 422],
        k8s: '422 Invalid (CreateOptions fieldValidation: Unsupported value)',
        req: () => ({
          method: 'POST',
          path: `${collection(k)}?fieldValidation=Bogus`,
          body: full(k, fresh()),
        }),
      });
    }
    for (const [p, field] of [
      ['pods', 'spec.containers.0.bogus'],
      ['pods', 'spec.bogus'],
      ['deployments', 'spec.template.spec.containers.0.imagePullPolicyy'],
      ['services', 'spec.ports.0.bogus'],
      ['deployments', 'spec.strategy.bogus'],
    ])
      cases.push({
        name: `POST ${p}?fieldValidation=Strict with ${field}`,
        expect: 400,
        req: () => ({
          method: 'POST',
          path: `${collection(kind(p))}?fieldValidation=Strict`,
          body: setPath(full(kind(p), fresh()), field, 1),
        }),
      });
    for (const t of ['pods', 'deployments', 'services'])
      cases.push({
        name: `PATCH (merge) ${t}/${kind(t).target}?fieldValidation=Strict with an unknown field`,
        expect: [400, 422],
        k8s: '400 (strict decoding error: unknown field)',
        req: () => ({
          method: 'PATCH',
          path: `${item(kind(t))}?fieldValidation=Strict`,
          type: MERGE,
          body: { spec: { bogusField: 1 } },
        }),
        after: unchanged(item(kind(t))),
      });
    await runCategory('unknown fields (Strict)', cases);
  });

  // ---- quantities ---------------------------------------------------------------------

  it('refuses bad quantities', async () => {
    const cases: Case[] = [];
    const p = kind('pods');
    for (const q of ['1Gx', '-1', 'abc', '', '1e1000', '1..5', '0x10', '1 Gi', 'Infinity', 'NaN'])
      for (const field of [
        'spec.containers.0.resources.requests.cpu',
        'spec.containers.0.resources.limits.memory',
      ])
        cases.push({
          name: `POST pods ${field.split('.').slice(-2).join('.')}=${JSON.stringify(q)}`,
          expect: [400, 422],
          k8s:
            q === '-1'
              ? '422 Invalid'
              : '400 BadRequest (quantities must match the regular expression)',
          req: () => ({
            method: 'POST',
            path: collection(p),
            body: setPath(full(p, fresh()), field, q),
          }),
        });
    cases.push({
      name: 'POST pods with requests above limits',
      expect: 422,
      req: () => ({
        method: 'POST',
        path: collection(p),
        body: setPath(full(p, fresh()), 'spec.containers.0.resources', {
          requests: { cpu: '2' },
          limits: { cpu: '1' },
        }),
      }),
    });
    cases.push({
      name: 'POST pods with a quantity as an object',
      expect: [400, 422],
      req: () => ({
        method: 'POST',
        path: collection(p),
        body: setPath(full(p, fresh()), 'spec.containers.0.resources.requests.cpu', { a: 1 }),
      }),
    });
    for (const q of ['1Gx', '-1', 'x'])
      cases.push(
        {
          name: `POST resourcequotas hard.pods=${q}`,
          expect: [400, 422],
          req: () => ({
            method: 'POST',
            path: collection(kind('resourcequotas')),
            body: setPath(full(kind('resourcequotas'), fresh()), 'spec.hard', { pods: q }),
          }),
        },
        {
          name: `POST limitranges max.cpu=${q}`,
          expect: [400, 422],
          req: () => ({
            method: 'POST',
            path: collection(kind('limitranges')),
            body: setPath(full(kind('limitranges'), fresh()), 'spec.limits.0.max', { cpu: q }),
          }),
        },
        {
          name: `POST quotarequests hard.cpu=${q}`,
          expect: [400, 422],
          req: () => ({
            method: 'POST',
            path: collection(kind('quotarequests')),
            body: setPath(full(kind('quotarequests'), fresh()), 'spec.hard', { cpu: q }),
          }),
        },
        {
          name: `PATCH (merge) tenants/${TENANT} quota cpu=${q}`,
          expect: [400, 422],
          req: () => ({
            method: 'PATCH',
            path: item(kind('tenants')),
            type: MERGE,
            body: { spec: { quota: { hard: { cpu: q } } } },
          }),
          after: unchanged(item(kind('tenants'))),
        },
        {
          name: `PATCH (merge) resourcequotas/q1 hard.pods=${q}`,
          expect: [400, 422],
          req: () => ({
            method: 'PATCH',
            path: item(kind('resourcequotas')),
            type: MERGE,
            body: { spec: { hard: { pods: q } } },
          }),
          after: unchanged(item(kind('resourcequotas'))),
        },
      );
    cases.push({
      name: 'POST resourcequotas with an unknown resource name',
      expect: 422,
      req: () => ({
        method: 'POST',
        path: collection(kind('resourcequotas')),
        body: setPath(full(kind('resourcequotas'), fresh()), 'spec.hard', { 'bad name!': '1' }),
      }),
    });
    await runCategory('quantities', cases);
  });

  // ---- selectors ----------------------------------------------------------------------

  it('refuses bad label and field selectors (list, watch, deletecollection)', async () => {
    const cases: Case[] = [];
    const labels = [
      'a notin ()',
      'a in ()',
      'a in (',
      'a in (b',
      '=b',
      'a b',
      ',',
      'a>x',
      'a==b==c',
      `${'k'.repeat(64)}=v`,
      `a=${'v'.repeat(64)}`,
      'a/b/c=d',
      '!',
      'a!!=b',
      'a in (b c)',
    ];
    const fields = ['spec.bogus=x', 'nofield', 'status.phase>Running', 'metadata.name~x'];
    const e = encodeURIComponent;
    for (const sel of labels) {
      for (const [what, p] of [
        ['list pods', collection(kind('pods'))],
        ['list deployments', collection(kind('deployments'))],
        ['list namespaces', collection(kind('namespaces'))],
        ['watch pods', `${collection(kind('pods'))}?watch=true`],
      ] as const)
        cases.push({
          name: `${what} labelSelector=${JSON.stringify(sel.length > 20 ? sel.slice(0, 12) + '…' : sel)}`,
          expect: 400,
          req: () => ({
            method: 'GET',
            path: `${p}${p.includes('?') ? '&' : '?'}labelSelector=${e(sel)}`,
          }),
          timeoutMs: 3000,
        });
      cases.push(
        onCollection('pods', {
          name: `deletecollection pods labelSelector=${JSON.stringify(sel.slice(0, 12))}`,
          expect: 400,
          req: (p) => ({ method: 'DELETE', path: `${p}?labelSelector=${e(sel)}` }),
        }),
      );
    }
    for (const sel of fields)
      for (const [what, method, p] of [
        ['list pods', 'GET', collection(kind('pods'))],
        ['list pods in all namespaces', 'GET', '/api/v1/pods'],
        ['watch pods', 'GET', `${collection(kind('pods'))}?watch=true`],
        ['list deployments', 'GET', collection(kind('deployments'))],
      ] as const)
        cases.push({
          name: `${what} fieldSelector=${JSON.stringify(sel)}`,
          expect: 400,
          req: () => ({
            method,
            path: `${p}${p.includes('?') ? '&' : '?'}fieldSelector=${e(sel)}`,
          }),
          timeoutMs: 3000,
        });
    for (const sel of fields)
      for (const plural of ['pods', 'leases'])
        cases.push(
          onCollection(plural, {
            name: `deletecollection ${plural} fieldSelector=${JSON.stringify(sel)}`,
            expect: 400,
            req: (p) => ({ method: 'DELETE', path: `${p}?fieldSelector=${e(sel)}` }),
          }),
        );
    await runCategory('selectors', cases);
  });

  // ---- broken JSON --------------------------------------------------------------------

  it('refuses broken JSON on every verb that takes a body', async () => {
    const broken: [string, string | Buffer][] = [
      ['an open brace', '{'],
      ['a cut-off object', '{"metadata":{"name":"x"}'],
      ['a missing value', '{"a":}'],
      ['trailing garbage', '{}x'],
      ['single quotes', "{'metadata':{}}"],
      ['a NaN literal', '{"a":NaN}'],
      ['a trailing comma', '{"a":1,}'],
      ['a comment', '/*c*/{}'],
      ['a byte-order mark', '\ufeff{}'],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
      ['a bad escape', '{"a":"\\x"}'],
      ['two documents', '{}{}'],
    ];
    const targetsFor: [string, string, string | undefined, string][] = [
      ['POST', collection(kind('pods')), undefined, 'pods'],
      ['POST', collection(kind('deployments')), undefined, 'deployments'],
      ['POST', collection(kind('namespaces')), undefined, 'namespaces'],
      ['PUT', item(kind('pods')), undefined, 'pods/p1'],
      ['PATCH', item(kind('deployments')), MERGE, 'deployments/d1'],
      ['PATCH', item(kind('services')), JSON_PATCH, 'services/s1'],
      ['PATCH', item(kind('pods')), SMP, 'pods/p1'],
    ];
    const cases: Case[] = [];
    for (const [what, raw] of broken)
      for (const [method, p, type, label] of targetsFor)
        cases.push({
          name: `${method} ${label}${type ? ` (${type.split('/')[1]})` : ''}: ${what}`,
          // Invalid UTF-8 decodes (as U+FFFD, in Go too): then the object is what is wrong,
          // or (a patch) the field named U+FFFD is unknown and dropped with a warning.
          expect: what !== 'invalid UTF-8' ? 400 : method === 'PATCH' ? 'any' : [400, 422],
          req: () => ({ method, path: p, raw, type }),
          after: method === 'POST' ? undefined : unchanged(p),
        });
    cases.push({
      name: 'POST pods: an empty body',
      expect: 400,
      req: () => ({ method: 'POST', path: collection(kind('pods')), raw: '' }),
    });
    cases.push({
      name: 'POST pods: YAML that does not parse',
      expect: 400,
      req: () => ({
        method: 'POST',
        path: collection(kind('pods')),
        raw: 'metadata: {name: [',
        type: 'application/yaml',
      }),
    });
    cases.push({
      name: 'POST pods: a YAML alias bomb',
      expect: [400, 413, 422],
      req: () => {
        const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
        for (let i = 1; i < 12; i++)
          lines.push(
            `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
              .fill(`*${String.fromCharCode(96 + i)}`)
              .join(',')}]`,
          );
        return {
          method: 'POST',
          path: collection(kind('pods')),
          raw: lines.join('\n'),
          type: 'application/yaml',
        };
      },
    });
    await runCategory('broken JSON', cases);
  });

  // ---- media types and protobuf -------------------------------------------------------

  it('refuses bodies of the wrong media type and bad protobuf', async () => {
    const cases: Case[] = [];
    const p = kind('pods');
    const bad = [
      'text/plain',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'image/png',
      JSON_PATCH,
      MERGE,
      'application/cbor',
    ];
    for (const type of bad)
      for (const [method, target, k] of [
        ['POST', collection(p), p],
        ['POST', collection(kind('namespaces')), kind('namespaces')],
        ['PUT', item(p), p],
      ] as const)
        cases.push({
          name: `${method} ${k.plural} Content-Type ${type}`,
          expect: 415,
          req: () => ({
            method,
            path: target,
            body: full(k, method === 'PUT' ? k.target : fresh()),
            type,
          }),
          after: method === 'PUT' ? unchanged(target) : undefined,
        });
    for (const type of [
      'application/json',
      'text/plain',
      'application/xml',
      'application/x-www-form-urlencoded',
      'application/yaml',
    ])
      for (const t of ['pods', 'deployments'])
        cases.push({
          name: `PATCH ${t}/${kind(t).target} Content-Type ${type}`,
          expect: 415,
          req: () => ({
            method: 'PATCH',
            path: item(kind(t)),
            body: { metadata: { labels: { x: 'y' } } },
            type,
          }),
          after: unchanged(item(kind(t))),
        });
    const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
    const ld = (field: number, payload: Buffer) =>
      Buffer.concat([Buffer.from([(field << 3) | 2, payload.length]), payload]);
    const unknown = (apiVersion: string, k: string, raw: Buffer) =>
      Buffer.concat([
        magic,
        ld(1, Buffer.concat([ld(1, Buffer.from(apiVersion)), ld(2, Buffer.from(k))])),
        ld(2, raw),
      ]);
    const protobufs: [string, Buffer][] = [
      ['random bytes', Buffer.from('0123456789abcdef\xff\xfe\x00\x01', 'latin1')],
      [
        'the magic and garbage',
        Buffer.concat([magic, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])]),
      ],
      ['the magic alone', magic],
      ['a truncated envelope', Buffer.concat([magic, Buffer.from([0x0a, 0x50, 0x0a, 0x02])])],
      ['JSON sent as protobuf', Buffer.from('{"metadata":{"name":"x"}}')],
      [
        'an envelope of another kind',
        unknown('v1', 'Service', Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x78])),
      ],
      ['an envelope with a garbage object', unknown('v1', 'Pod', Buffer.from([0xff, 0x01, 0x02]))],
    ];
    for (const [what, raw] of protobufs)
      for (const [method, target, label] of [
        ['POST', collection(p), 'pods'],
        ['POST', collection(kind('namespaces')), 'namespaces'],
        ['POST', collection(kind('deployments')), 'deployments'],
        ['PUT', item(p), 'pods/p1'],
      ] as const)
        cases.push({
          name: `${method} ${label} protobuf: ${what}`,
          expect: what === 'an envelope of another kind' ? [400, 422] : 400,
          req: () => ({ method, path: target, raw, type: PROTOBUF }),
          after: method === 'PUT' ? unchanged(target) : undefined,
        });
    await runCategory('media types, protobuf', cases);
  });

  // ---- patches of all four types ------------------------------------------------------

  it('refuses bad patches of all four patch types', async () => {
    const cases: Case[] = [];
    const targetsFor = ['pods', 'deployments', 'services', 'namespaces'];
    const jsonPatches: [string, unknown, Expect][] = [
      ['not an array', {}, 400],
      ['a string', 'x', 400],
      ['an array of numbers', [1], [400, 422]],
      ['an unknown op', [{ op: 'bogus', path: '/metadata/labels' }], [400, 422]],
      ['an op without a path', [{ op: 'add', value: 1 }], [400, 422]],
      ['a path without a leading slash', [{ op: 'add', path: 'metadata/x', value: 1 }], [400, 422]],
      ['removing what is not there', [{ op: 'remove', path: '/metadata/nothing' }], 422],
      ['a failing test', [{ op: 'test', path: '/metadata/name', value: 'nope' }], 422],
      [
        'renaming the object',
        [{ op: 'replace', path: '/metadata/name', value: 'other' }],
        [400, 422],
      ],
      [
        'moving the namespace',
        [{ op: 'replace', path: '/metadata/namespace', value: 'other' }],
        [400, 422],
      ],
      ['a spec of the wrong type', [{ op: 'replace', path: '/spec', value: 'x' }], [400, 422]],
      ['a move from nowhere', [{ op: 'move', from: '/nope', path: '/metadata/labels' }], 422],
      ['an index past the end', [{ op: 'add', path: '/metadata/finalizers/5', value: 'x' }], 422],
      [
        'replacing the whole object with a string',
        [{ op: 'replace', path: '', value: 'x' }],
        [400, 422],
      ],
      ['an op without a value', [{ op: 'replace', path: '/metadata/labels' }], [400, 422]],
    ];
    const mergePatches: [string, unknown, Expect][] = [
      ['an array', [1], [400, 422]],
      ['a string', 'x', [400, 422]],
      ['spec a string', { spec: 'x' }, [400, 422]],
      ['metadata a string', { metadata: 'x' }, [400, 422]],
      ['a new name', { metadata: { name: 'other' } }, [400, 422]],
      ['another namespace', { metadata: { namespace: 'other' } }, [400, 422]],
      ['another kind', { kind: 'Secret' }, [400, 422]],
      ['another apiVersion', { apiVersion: 'v9' }, [400, 422]],
      ['a label value an object', { metadata: { labels: { a: { b: 1 } } } }, [400, 422]],
      ['a garbage resourceVersion', { metadata: { resourceVersion: 'abc' } }, [400, 409, 422]],
      ['a stale resourceVersion', { metadata: { resourceVersion: '1' } }, 409],
      ['a new uid', { metadata: { uid: '00000000-0000-0000-0000-000000000000' } }, [400, 409, 422]],
    ];
    const smp = (plural: string): [string, unknown][] => {
      const podPath = plural === 'deployments' ? ['spec', 'template', 'spec'] : ['spec'];
      const nest = (v: unknown) => podPath.reduceRight<unknown>((acc, key) => ({ [key]: acc }), v);
      const list = plural === 'services' ? 'ports' : 'containers';
      const at =
        plural === 'services'
          ? (v: unknown) => ({ spec: v })
          : (v: Record<string, unknown>) => nest(v);
      return [
        ['an unknown $patch', { $patch: 'bogus' }],
        [`a ${list} $patch delete without the merge key`, at({ [list]: [{ $patch: 'delete' }] })],
        [`$setElementOrder/${list} a string`, at({ [`$setElementOrder/${list}`]: 'x' })],
        ['$retainKeys a string', at({ $retainKeys: 'x' })],
        [
          '$deleteFromPrimitiveList/finalizers a string',
          { metadata: { '$deleteFromPrimitiveList/finalizers': 'x' } },
        ],
        [`${list} a string`, at({ [list]: 'x' })],
        [`${list} with an element of the wrong type`, at({ [list]: ['x'] })],
        ['an array', [1]],
        [
          '$patch replace with a string spec',
          { spec: { $patch: 'replace', x: 'y' }, metadata: 'x' },
        ],
      ];
    };
    const apply = (plural: string): [string, string, string][] => {
      const k = kind(plural);
      const head = `apiVersion: ${k.apiVersion}\nkind: ${k.kind}\n`;
      return [
        ['YAML that does not parse', `${head}metadata: {name: [`, '?fieldManager=bi'],
        ['a list', '- a\n- b\n', '?fieldManager=bi'],
        [
          'another kind',
          `apiVersion: v1\nkind: Secret\nmetadata: {name: ${k.target}}\n`,
          '?fieldManager=bi',
        ],
        ['another name', `${head}metadata: {name: other-name}\n`, '?fieldManager=bi'],
        ['metadata a string', `${head}metadata: x\n`, '?fieldManager=bi'],
        ['spec a string', `${head}metadata: {name: ${k.target}}\nspec: x\n`, '?fieldManager=bi'],
        ['an empty document', '', '?fieldManager=bi'],
      ];
    };
    for (const plural of targetsFor) {
      const k = kind(plural);
      const p = item(k);
      for (const [what, body, expect] of jsonPatches) {
        if (plural === 'namespaces' && what === 'moving the namespace') continue;
        cases.push({
          name: `PATCH (json) ${plural}/${k.target}: ${what}`,
          expect,
          req: () => ({ method: 'PATCH', path: p, type: JSON_PATCH, body }),
          after: unchanged(p),
        });
      }
      for (const [what, body, expect] of mergePatches) {
        if (plural === 'namespaces' && what === 'another namespace') continue;
        cases.push({
          name: `PATCH (merge) ${plural}/${k.target}: ${what}`,
          expect,
          req: () => ({ method: 'PATCH', path: p, type: MERGE, body }),
          after: unchanged(p),
        });
      }
      if (plural !== 'namespaces')
        for (const [what, body] of smp(plural))
          cases.push({
            name: `PATCH (strategic) ${plural}/${k.target}: ${what}`,
            expect: '4xx',
            req: () => ({ method: 'PATCH', path: p, type: SMP, body }),
            after: unchanged(p),
          });
      for (const [what, raw, q] of apply(plural))
        cases.push({
          name: `PATCH (apply) ${plural}/${k.target}: ${what}`,
          expect: '4xx',
          req: () => ({ method: 'PATCH', path: `${p}${q}`, type: APPLY, raw }),
          after: unchanged(p),
        });
      cases.push({
        name: `PATCH ${plural} without a name`,
        expect: [404, 405],
        req: () => ({
          method: 'PATCH',
          path: collection(k),
          type: MERGE,
          body: { metadata: { labels: { a: 'b' } } },
        }),
      });
      cases.push({
        name: `PATCH (merge) ${plural}/does-not-exist`,
        expect: 404,
        req: () => ({
          method: 'PATCH',
          path: item(k, 'does-not-exist'),
          type: MERGE,
          body: { metadata: { labels: { a: 'b' } } },
        }),
      });
    }
    await runCategory('patches', cases);
  });

  // ---- body vs URL: namespace, name, kind and apiVersion ------------------------------

  it('refuses a body whose namespace, name, kind or apiVersion contradicts the URL', async () => {
    const cases: Case[] = [];
    const otherVersion = (k: Kind) => (k.apiVersion === 'v1' ? 'apps/v1' : 'v1');
    for (const k of KINDS) {
      if (k.namespaced) {
        cases.push({
          name: `POST ${k.plural} in ${NS} with metadata.namespace "other"`,
          expect: 400,
          req: () => ({
            method: 'POST',
            path: collection(k),
            body: setPath(full(k, fresh()), 'metadata.namespace', 'other'),
          }),
        });
        cases.push({
          name: `PUT ${k.plural}/${k.target} with metadata.namespace "other"`,
          expect: 400,
          req: () => ({
            method: 'PUT',
            path: item(k),
            body: setPath(full(k, k.target), 'metadata.namespace', 'other'),
          }),
          after: unchanged(item(k)),
        });
        cases.push({
          name: `POST ${k.plural} to a namespace that does not exist`,
          // An Event's involvedObject.namespace must match: 422 may come first.
          expect: k.plural === 'events' ? [404, 422] : 404,
          req: () => ({
            method: 'POST',
            path: collection(k, 'no-such-ns'),
            body: full(k, fresh()),
          }),
        });
      }
      cases.push({
        name: `PUT ${k.plural}/${k.target} with metadata.name "other"`,
        expect: 400,
        k8s: '400 (the name of the object does not match the name on the URL)',
        req: () => ({ method: 'PUT', path: item(k), body: full(k, 'other-name') }),
        after: unchanged(item(k)),
      });
      cases.push({
        name: `POST ${k.plural} with kind "Secret"`,
        expect: '4xx',
        req: () => ({
          method: 'POST',
          path: collection(k),
          body: { ...full(k, fresh()), kind: 'Secret' },
        }),
      });
      cases.push({
        name: `POST ${k.plural} with apiVersion ${otherVersion(k)}`,
        expect: 400,
        k8s: '400 (the API version in the data does not match the expected API version)',
        req: () => ({
          method: 'POST',
          path: collection(k),
          body: { ...full(k, fresh()), apiVersion: otherVersion(k) },
        }),
      });
      cases.push({
        name: `POST ${k.plural} with apiVersion "v2"`,
        expect: 400,
        req: () => ({
          method: 'POST',
          path: collection(k),
          body: { ...full(k, fresh()), apiVersion: 'v2' },
        }),
      });
      cases.push({
        name: `PUT ${k.plural}/${k.target} with kind "Secret"`,
        expect: '4xx',
        req: () => ({
          method: 'PUT',
          path: item(k),
          body: { ...full(k, k.target), kind: 'Secret' },
        }),
        after: unchanged(item(k)),
      });
      cases.push({
        name: `POST ${k.plural} with kind a number`,
        expect: 400,
        req: () => ({
          method: 'POST',
          path: collection(k),
          body: { ...full(k, fresh()), kind: 5 },
        }),
      });
    }
    cases.push({
      name: 'POST a named pod (POST on an item)',
      expect: 405,
      req: () => ({ method: 'POST', path: item(kind('pods')), body: full(kind('pods'), 'p1') }),
    });
    await runCategory('body vs URL', cases);
  });

  // ---- list, get and watch parameters -------------------------------------------------

  it('refuses lenient list, get and watch parameters as Kubernetes does', async () => {
    const cases: Case[] = [];
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const future = async () => String(BigInt(await revision()) + 1000n);
    const validContinue = async (p: string) => {
      const a = await send({ method: 'GET', path: `${p}?limit=1` });
      if (!a.json?.metadata?.continue)
        throw new Error(`${p}?limit=1 gave no continue token: ${a.text}`);
      return encodeURIComponent(a.json.metadata.continue);
    };
    const lists: [string, string, boolean][] = [
      ['pods', collection(kind('pods')), true],
      ['leases', collection(kind('leases')), true],
      ['namespaces', collection(kind('namespaces')), true],
      ['deployments', collection(kind('deployments')), false],
    ];
    for (const [label, p, paged] of lists) {
      const q: [string, Expect, string?][] = [
        ['resourceVersion=garbage', 400, '400 (invalid resource version)'],
        ['resourceVersion=-1', 400],
        ['resourceVersion=1.5', 400],
        ['resourceVersion=99999999999999999999999', 400],
        ['resourceVersion=%00', 400],
        [
          'resourceVersionMatch=Bogus&resourceVersion=1',
          [400, 422],
          '422 Invalid (ListOptions resourceVersionMatch: Unsupported value)',
        ],
        ['resourceVersionMatch=Bogus', [400, 422], '422 Invalid'],
        [
          'resourceVersionMatch=Exact',
          [400, 422],
          '422 Invalid (resourceVersionMatch is forbidden unless resourceVersion is provided)',
        ],
        ['resourceVersionMatch=NotOlderThan', [400, 422], '422 Invalid'],
        ['resourceVersionMatch=Exact&resourceVersion=0', [400, 422], '422 Invalid'],
        [
          'resourceVersionMatch=exact&resourceVersion=1',
          [400, 422],
          '422 Invalid (the match is case-sensitive)',
        ],
        [
          `continue=${encodeURIComponent(b64('{"rv":"abc"}'))}`,
          400,
          '400 (invalid continue token)',
        ],
        [`continue=${encodeURIComponent(b64('{"v":1,"rv":"abc","ns":"","name":"x"}'))}`, 400],
        [`continue=${encodeURIComponent(b64('{"v":1,"rv":"-5","ns":"","name":"x"}'))}`, [400, 410]],
        ['continue=!!!not-base64!!!', 400],
        [`continue=${encodeURIComponent(b64('garbage'))}`, 400],
        [`continue=${encodeURIComponent(b64('null'))}`, 400],
        [`continue=${encodeURIComponent(b64('[]'))}`, 400],
        ['labelSelector=a%20notin%20()', 400],
        ['limit=-1', 'any', '200 (a negative limit is no limit)'],
        ['limit=abc', 400],
        ['limit=1.5', 400],
        ['limit=99999999999999999999', 400],
        ['timeoutSeconds=abc', 400],
        ['watch=abc', 400, '400 (strconv.ParseBool)'],
      ];
      for (const [query, expect, k8s] of q)
        cases.push({
          name: `list ${label}?${query}`,
          expect,
          k8s,
          req: () => ({ method: 'GET', path: `${p}?${query}` }),
          timeoutMs: 3000,
        });
      cases.push({
        name: `list ${label}?resourceVersionMatch=Exact&resourceVersion=<future revision>`,
        expect: [400, 410],
        k8s: '504 Timeout "Too large resource version" after 3 s; the issue asks for 400 or 410',
        req: async () => ({
          method: 'GET',
          path: `${p}?resourceVersionMatch=Exact&resourceVersion=${await future()}`,
        }),
        timeoutMs: 8000,
      });
      cases.push({
        name: `list ${label}?resourceVersionMatch=NotOlderThan&resourceVersion=<future revision>`,
        expect: '4xx',
        k8s: '504 Timeout "Too large resource version"',
        req: async () => ({
          method: 'GET',
          path: `${p}?resourceVersionMatch=NotOlderThan&resourceVersion=${await future()}`,
        }),
        timeoutMs: 8000,
      });
      if (paged) {
        cases.push({
          name: `list ${label}?continue=<valid>&resourceVersion=5`,
          expect: 400,
          k8s: '400 (specifying resource version is not allowed when using continue)',
          req: async () => ({
            method: 'GET',
            path: `${p}?limit=1&continue=${await validContinue(p)}&resourceVersion=5`,
          }),
        });
        cases.push({
          name: `list ${label}?continue=<valid>&resourceVersionMatch=Exact&resourceVersion=5`,
          expect: [400, 422],
          k8s: '422 (resourceVersionMatch is forbidden when continue is provided)',
          req: async () => ({
            method: 'GET',
            path: `${p}?limit=1&continue=${await validContinue(p)}&resourceVersionMatch=Exact&resourceVersion=5`,
          }),
        });
        cases.push({
          name: `list ${label}?continue=<valid token of another resource>`,
          expect: [400, 410],
          req: async () => ({
            method: 'GET',
            path: `${p}?limit=1&continue=${await validContinue(p === collection(kind('pods')) ? collection(kind('namespaces')) : collection(kind('pods')))}`,
          }),
        });
      }
    }
    for (const t of ['pods', 'namespaces', 'deployments', 'tenants']) {
      const k = kind(t);
      for (const [query, expect] of [
        ['resourceVersion=garbage', 400],
        ['resourceVersion=-1', 400],
        ['resourceVersion=99999999999999999999', 400],
        ['resourceVersion=1.5', 400],
      ] as [string, Expect][])
        cases.push({
          name: `get ${t}/${k.target}?${query}`,
          expect,
          k8s: 'GET: 500 from the watch cache (invalid resource version); the issue asks for 400',
          req: () => ({ method: 'GET', path: `${item(k)}?${query}` }),
        });
    }
    for (const [label, p] of [
      ['pods', collection(kind('pods'))],
      ['namespaces', collection(kind('namespaces'))],
      ['deployments', collection(kind('deployments'))],
    ]) {
      cases.push({
        name: `watch ${label}?timeoutSeconds=-1 ends without a client timeout`,
        expect: [200, 400],
        k8s: '200 and the watch ends at once (a negative timer)',
        req: () => ({ method: 'GET', path: `${p}?watch=true&timeoutSeconds=-1` }),
        timeoutMs: 3000,
      });
      for (const [query, expect] of [
        ['resourceVersion=garbage', 400],
        ['resourceVersion=-1', 400],
        ['timeoutSeconds=abc', 400],
        ['timeoutSeconds=1.5', 400],
        ['resourceVersionMatch=Bogus', [400, 422]],
        ['allowWatchBookmarks=maybe', 400],
      ] as [string, Expect][])
        cases.push({
          name: `watch ${label}?${query}`,
          expect,
          req: () => ({ method: 'GET', path: `${p}?watch=true&${query}` }),
          timeoutMs: 3000,
        });
    }
    // Namespaces and names that are path tricks.
    const pods = kind('pods');
    const tricks: [string, Req, Expect][] = [
      [
        'list pods in namespace %2e%2e',
        { method: 'GET', path: '/api/v1/namespaces/%2e%2e/pods' },
        400,
      ],
      [
        'list pods in namespace %2E%2E',
        { method: 'GET', path: '/api/v1/namespaces/%2E%2E/pods' },
        400,
      ],
      ['list pods in namespace %2e', { method: 'GET', path: '/api/v1/namespaces/%2e/pods' }, 400],
      ['get namespace %2e%2e', { method: 'GET', path: '/api/v1/namespaces/%2e%2e' }, 400],
      ['get pod %2e%2e', { method: 'GET', path: `${collection(pods)}/%2e%2e` }, 400],
      ['get pod %2e', { method: 'GET', path: `${collection(pods)}/%2e` }, 400],
      [
        'create a pod in namespace %2e%2e',
        { method: 'POST', path: '/api/v1/namespaces/%2e%2e/pods', body: full(pods, 'x') },
        '4xx',
      ],
      [
        'put pod %2e%2e',
        { method: 'PUT', path: `${collection(pods)}/%2e%2e`, body: full(pods, '..') },
        400,
      ],
      ['delete pod %2e%2e', { method: 'DELETE', path: `${collection(pods)}/%2e%2e` }, 400],
      ['delete namespace %2e%2e', { method: 'DELETE', path: '/api/v1/namespaces/%2e%2e' }, 400],
      [
        'patch pod %2e%2e',
        { method: 'PATCH', path: `${collection(pods)}/%2e%2e`, type: MERGE, body: {} },
        400,
      ],
      ['get pod a%2Fb', { method: 'GET', path: `${collection(pods)}/a%2Fb` }, '4xx'],
      [
        'watch pods in namespace %2e%2e',
        { method: 'GET', path: '/api/v1/namespaces/%2e%2e/pods?watch=true' },
        400,
      ],
      [
        'raw: list pods in namespace ..',
        {
          method: 'GET',
          path: '',
          socket: `GET /api/v1/namespaces/../pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @TOKEN@\r\nConnection: close\r\n\r\n`,
        },
        [400, 404],
      ],
      [
        'raw: get pod ..',
        {
          method: 'GET',
          path: '',
          socket: `GET /api/v1/namespaces/${NS}/pods/.. HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @TOKEN@\r\nConnection: close\r\n\r\n`,
        },
        [400, 404],
      ],
      [
        'raw: delete namespace ..',
        {
          method: 'DELETE',
          path: '',
          socket: `DELETE /api/v1/namespaces/.. HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @TOKEN@\r\nConnection: close\r\n\r\n`,
        },
        [400, 404, 405],
      ],
    ];
    for (const [name, r, expect] of tricks)
      cases.push({
        name,
        expect,
        req: () =>
          typeof r.socket === 'string'
            ? { ...r, socket: r.socket.replace('@TOKEN@', api.token) }
            : r,
        timeoutMs: 3000,
      });
    await runCategory('parameters', cases);
  });

  // ---- NUL bytes everywhere -----------------------------------------------------------

  it('refuses NUL bytes in paths, queries, bodies, keys and headers with 400', async () => {
    const cases: Case[] = [];
    const pods = kind('pods');
    const nul = (name: string, r: Req | (() => Req), expect: Expect = 400) =>
      cases.push({
        name,
        expect,
        req: () => (typeof r === 'function' ? r() : r),
        timeoutMs: 3000,
        after: unchanged(item(pods)),
      });
    for (const [label, p] of [
      ['get pod a%00b', `${collection(pods)}/a%00b`],
      ['get pod %00', `${collection(pods)}/%00`],
      ['list pods in namespace b%00i', '/api/v1/namespaces/b%00i/pods'],
      ['get namespace %00', '/api/v1/namespaces/%00'],
      ['get deployment %00', `${collection(kind('deployments'))}/%00`],
      ['get tenant a%00', `${collection(kind('tenants'))}/a%00`],
      ['get pod p1%00/status', `${collection(pods)}/p1%00/status`],
      ['get pod p1/log?container=%00', `${collection(pods)}/p1/log?container=%00`],
      ['list pods labelSelector=a%00b', `${collection(pods)}?labelSelector=a%00b`],
      ['list pods labelSelector=a=b%00', `${collection(pods)}?labelSelector=a%3Db%00`],
      [
        'list pods fieldSelector=metadata.name=a%00b',
        `${collection(pods)}?fieldSelector=metadata.name%3Da%00b`,
      ],
      [
        'list pods fieldSelector=spec.nodeName=%00',
        `${collection(pods)}?fieldSelector=spec.nodeName%3D%00`,
      ],
      [
        'list all pods fieldSelector=metadata.namespace=%00',
        `/api/v1/pods?fieldSelector=metadata.namespace%3D%00`,
      ],
      [
        'list namespaces fieldSelector=metadata.name=%00',
        `/api/v1/namespaces?fieldSelector=metadata.name%3D%00`,
      ],
      ['list pods continue=%00', `${collection(pods)}?continue=%00`],
      ['list pods resourceVersion=1%00', `${collection(pods)}?resourceVersion=1%00`],
      ['list pods limit=%00', `${collection(pods)}?limit=%00`],
      ['list pods with an unknown parameter x=%00', `${collection(pods)}?x=%00`],
      ['list pods with a parameter named %00', `${collection(pods)}?%00=1`],
      [
        'watch pods fieldSelector=metadata.name=%00',
        `${collection(pods)}?watch=true&fieldSelector=metadata.name%3D%00`,
      ],
      ['audit events user=%00', '/audit/events?user=%00'],
      ['audit events tenant=%00', '/audit/events?tenant=%00'],
      ['audit events namespace=a%00', '/audit/events?namespace=a%00'],
      ['audit events continue=%00', '/audit/events?continue=%00'],
      ['whoami?x=%00', '/auth/whoami?x=%00'],
      ['discovery /apis/a%00b', '/apis/a%00b'],
      ['the dashboard /ui/index.html%00.js', '/ui/index.html%00.js'],
      ['openapi /openapi/v3/a%00', '/openapi/v3/a%00'],
    ])
      nul(label, { method: 'GET', path: p });
    nul('deletecollection pods fieldSelector=metadata.name=%00', {
      method: 'DELETE',
      path: `${collection(pods)}?fieldSelector=metadata.name%3D%00`,
    });
    nul('delete pod a%00b', { method: 'DELETE', path: `${collection(pods)}/a%00b` });
    nul('put pod a%00b', {
      method: 'PUT',
      path: `${collection(pods)}/a%00b`,
      body: full(pods, 'a\u0000b'),
    });
    nul('patch pod a%00b', {
      method: 'PATCH',
      path: `${collection(pods)}/a%00b`,
      type: MERGE,
      body: {},
    });
    const strings: [string, Kind, (name: string) => Record<string, unknown>][] = [
      ['a name', pods, () => full(pods, 'a\u0000b')],
      ['a label value', pods, (n) => setPath(full(pods, n), 'metadata.labels', { a: 'b\u0000' })],
      ['a label key', pods, (n) => setPath(full(pods, n), 'metadata.labels', { 'a\u0000b': 'c' })],
      [
        'an annotation value',
        pods,
        (n) => setPath(full(pods, n), 'metadata.annotations', { a: 'x\u0000y' }),
      ],
      [
        'an annotation key',
        pods,
        (n) => setPath(full(pods, n), 'metadata.annotations', { '\u0000': 'x' }),
      ],
      ['an unknown field named NUL', pods, (n) => ({ ...full(pods, n), '\u0000': 1 })],
      ['an unknown spec field named NUL', pods, (n) => setPath(full(pods, n), 'spec.\u0000', 1)],
      [
        'a container image',
        pods,
        (n) => setPath(full(pods, n), 'spec.containers.0.image', 'busybox\u0000'),
      ],
      [
        'an env value',
        pods,
        (n) => setPath(full(pods, n), 'spec.containers.0.env', [{ name: 'A', value: '\u0000' }]),
      ],
      [
        'a command argument',
        pods,
        (n) => setPath(full(pods, n), 'spec.containers.0.command', ['sh', '-c', 'echo \u0000']),
      ],
      [
        'a generateName',
        pods,
        () => ({ ...full(pods, 'x'), metadata: { generateName: 'a\u0000' } }),
      ],
      [
        'a service selector value',
        kind('services'),
        (n) => setPath(full(kind('services'), n), 'spec.selector', { app: '\u0000' }),
      ],
      [
        'a deployment template annotation',
        kind('deployments'),
        (n) =>
          setPath(full(kind('deployments'), n), 'spec.template.metadata.annotations', {
            a: '\u0000',
          }),
      ],
      [
        'a namespace label',
        kind('namespaces'),
        (n) => setPath(full(kind('namespaces'), n), 'metadata.labels.x', '\u0000'),
      ],
      [
        'a tenant member',
        kind('tenants'),
        (n) =>
          setPath(full(kind('tenants'), n), 'spec.members', [
            { user: 'a\u0000', role: 'developer' },
          ]),
      ],
      [
        'a tenant description',
        kind('tenants'),
        (n) => setPath(full(kind('tenants'), n), 'spec.description', 'a\u0000'),
      ],
      [
        'a quota request reason',
        kind('quotarequests'),
        (n) => setPath(full(kind('quotarequests'), n), 'spec.reason', 'need \u0000'),
      ],
      [
        'an event message',
        kind('events'),
        (n) => ({ ...full(kind('events'), n), message: 'a\u0000b' }),
      ],
      [
        'an event reason',
        kind('events'),
        (n) => ({ ...full(kind('events'), n), reason: 'R\u0000' }),
      ],
      [
        'a role verb',
        kind('roles'),
        (n) => setPath(full(kind('roles'), n), 'rules.0.verbs', ['g\u0000et']),
      ],
      [
        'a rolebinding subject',
        kind('rolebindings'),
        (n) => setPath(full(kind('rolebindings'), n), 'subjects.0.name', 'u\u0000'),
      ],
      [
        'a lease holder',
        kind('leases'),
        (n) => setPath(full(kind('leases'), n), 'spec.holderIdentity', 'h\u0000'),
      ],
      [
        'a node label',
        kind('nodes'),
        (n) => setPath(full(kind('nodes'), n), 'metadata.labels', { a: '\u0000' }),
      ],
      [
        'a quantity',
        pods,
        (n) => setPath(full(pods, n), 'spec.containers.0.resources.requests', { cpu: '1\u0000' }),
      ],
    ];
    for (const [what, k, body] of strings)
      nul(`POST ${k.plural} with NUL in ${what}`, () => ({
        method: 'POST',
        path: collection(k),
        body: body(fresh()),
      }));
    nul('POST pods as YAML with NUL in a label', {
      method: 'POST',
      path: collection(pods),
      type: 'application/yaml',
      raw: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: y1\n  labels: {a: "b\\0"}\nspec:\n  containers: [{name: c, image: busybox}]\n',
    });
    nul('PUT pods/p1 with NUL in an annotation', {
      method: 'PUT',
      path: item(pods),
      body: setPath(full(pods, 'p1'), 'metadata.annotations', { a: '\u0000' }),
    });
    nul('PATCH (merge) pods/p1 with NUL in an annotation', {
      method: 'PATCH',
      path: item(pods),
      type: MERGE,
      body: { metadata: { annotations: { a: '\u0000' } } },
    });
    nul('PATCH (merge) pods/p1 with a NUL key', {
      method: 'PATCH',
      path: item(pods),
      type: MERGE,
      body: { metadata: { labels: { '\u0000': 'a' } } },
    });
    nul('PATCH (json) pods/p1 with NUL in a value', {
      method: 'PATCH',
      path: item(pods),
      type: JSON_PATCH,
      body: [{ op: 'add', path: '/metadata/annotations', value: { a: '\u0000' } }],
    });
    nul('PATCH (json) pods/p1 with NUL in a path', {
      method: 'PATCH',
      path: item(pods),
      type: JSON_PATCH,
      body: [{ op: 'add', path: '/metadata/\u0000', value: 1 }],
    });
    nul('PATCH (strategic) pods/p1 with NUL in an image', {
      method: 'PATCH',
      path: item(pods),
      type: SMP,
      body: { spec: { containers: [{ name: 'c', image: 'b\u0000' }] } },
    });
    nul('PATCH (apply) pods/p1 with NUL in a label', {
      method: 'PATCH',
      path: `${item(pods)}?fieldManager=bi`,
      type: APPLY,
      raw: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n  labels: {a: "\\0"}\n',
    });
    nul('PUT deployments/d1/scale with NUL in the name', {
      method: 'PUT',
      path: `${item(kind('deployments'))}/scale`,
      body: {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'd1\u0000', namespace: NS },
        spec: { replicas: 1 },
      },
    });
    cases.push(
      aimed(VICTIM_POD, {
        name: 'DELETE pods/<victim> with NUL in preconditions.uid',
        expect: 400,
        req: (p) => ({ method: 'DELETE', path: p, body: { preconditions: { uid: '\u0000' } } }),
      }),
    );
    nul('POST selfsubjectaccessreviews with NUL', {
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace: '\u0000', verb: 'get', resource: 'pods' } },
      },
    });
    // Unauthenticated and the other auth endpoints.
    nul('POST /auth/login (unauthenticated) with NUL in the username', {
      method: 'POST',
      path: '/auth/login',
      token: null,
      body: { username: 'a\u0000b', password: 'x' },
    });
    nul('POST /auth/login (unauthenticated) with NUL in the password', {
      method: 'POST',
      path: '/auth/login',
      token: null,
      body: { username: 'nul-pass', password: 'x\u0000' },
    });
    nul('POST /auth/login (unauthenticated) with a NUL key', {
      method: 'POST',
      path: '/auth/login',
      token: null,
      body: { username: 'nul-key', password: 'x', '\u0000': 1 },
    });
    nul('POST /auth/login (unauthenticated) with %00 in the query', {
      method: 'POST',
      path: '/auth/login?next=%00',
      token: null,
      body: { username: 'nul-q', password: 'x' },
    });
    nul('POST /auth/tokens with NUL in the name', {
      method: 'POST',
      path: '/auth/tokens',
      body: { name: 't\u0000' },
      token: sessionToken,
    });
    nul('POST /auth/users with NUL in the username', {
      method: 'POST',
      path: '/auth/users',
      body: { username: 'u\u0000', password: 'a-password-123' },
    });
    nul('PATCH /auth/users/a%00b', {
      method: 'PATCH',
      path: '/auth/users/a%00b',
      body: { disabled: true },
    });
    nul('DELETE /auth/users/a%00b', { method: 'DELETE', path: '/auth/users/a%00b' });
    nul('DELETE /auth/tokens/%00', { method: 'DELETE', path: '/auth/tokens/%00' });
    nul('POST /auth/bootstrap-tokens with NUL', {
      method: 'POST',
      path: '/auth/bootstrap-tokens',
      body: { description: '\u0000' },
    });
    nul('POST /auth/password with NUL', {
      method: 'POST',
      path: '/auth/password',
      body: { currentPassword: '\u0000', newPassword: 'x\u0000' },
      token: sessionToken,
    });
    nul(
      'POST /auth/nodes/register with NUL (unauthenticated)',
      { method: 'POST', path: '/auth/nodes/register', token: null, body: { nodeName: 'n\u0000' } },
      [400, 401],
    );
    // Raw bytes: NUL in the request line and in headers (node:http will not send these).
    const raw = (line: string, headers: string[] = []) =>
      `${line}\r\nHost: x\r\nAuthorization: Bearer ${'@TOKEN@'}\r\n${headers.map((h) => h + '\r\n').join('')}Connection: close\r\n\r\n`;
    for (const [label, bytes] of [
      ['raw NUL in the path', raw(`GET /api/v1/namespaces/${NS}/pods/a\u0000b HTTP/1.1`)],
      [
        'raw NUL in the query',
        raw(`GET /api/v1/namespaces/${NS}/pods?labelSelector=a\u0000 HTTP/1.1`),
      ],
      [
        'raw NUL in a header value',
        raw(`GET /api/v1/namespaces/${NS}/pods HTTP/1.1`, ['X-Test: a\u0000b']),
      ],
      [
        'raw NUL in a header name',
        raw(`GET /api/v1/namespaces/${NS}/pods HTTP/1.1`, ['X-\u0000: a']),
      ],
      [
        'raw NUL in the User-Agent',
        raw(`GET /api/v1/namespaces/${NS}/pods HTTP/1.1`, ['User-Agent: kubectl\u0000']),
      ],
      [
        'raw NUL in Content-Type',
        raw(`GET /api/v1/namespaces/${NS}/pods HTTP/1.1`, ['Content-Type: application/json\u0000']),
      ],
      [
        'raw NUL in the bearer token',
        `GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\u0000def\r\nConnection: close\r\n\r\n`,
      ],
      [
        'raw NUL in the login path (unauthenticated)',
        `POST /auth/login\u0000 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      ],
    ])
      nul(label, () => ({ method: 'GET', path: '', socket: bytes.replace('@TOKEN@', api.token) }));
    nul(
      'raw NUL in an Impersonate-User header',
      () => ({
        method: 'GET',
        path: '',
        socket: raw(`GET /api/v1/namespaces/${NS}/pods HTTP/1.1`, [
          'Impersonate-User: a\u0000',
        ]).replace('@TOKEN@', api.token),
      }),
      400,
    );
    await runCategory('NUL bytes', cases);
  });

  // ---- authentication -----------------------------------------------------------------

  it('answers 401 without a valid header token (and refuses tokens in the query)', async () => {
    const cases: Case[] = [];
    const pods = kind('pods');
    const who: [string, () => string | null, Record<string, string>?][] = [
      ['no token', () => null],
      ['a bad token', () => 'not-a-token'],
      ['an empty bearer token', () => ''],
      ['an expired session', () => expiredToken],
      [
        'a session with a forged signature',
        () =>
          `${sessionToken.split('.').slice(0, 2).join('.')}.${Buffer.from('forged').toString('base64url')}`,
      ],
      [
        'an unsigned (alg none) session',
        () =>
          `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${sessionToken.split('.')[1]}.`,
      ],
      ['a revoked API token', () => revokedToken],
      ['the admin token with a suffix', () => `${api.token}x`],
    ];
    const targetsFor: [string, string, unknown?][] = [
      ['GET', collection(pods)],
      ['POST', collection(pods), () => full(pods, fresh('auth'))],
      ['DELETE', VICTIM_POD],
      ['GET', '/audit/events'],
    ];
    for (const [what, token] of who)
      for (const [method, target, body] of targetsFor)
        cases.push(
          aimed(target, {
            name: `${method} ${target} with ${what}`,
            expect: 401,
            req: (p) => ({
              method,
              path: p,
              token: token(),
              body: typeof body === 'function' ? body() : body,
            }),
          }),
        );
    for (const [what, header] of [
      ['Basic credentials', () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
      ['a lowercase scheme and two tokens', () => `Bearer ${api.token} ${api.token}`],
      ['the token without a scheme', () => api.token],
    ] as [string, () => string][])
      cases.push({
        name: `GET pods with ${what}`,
        expect: 401,
        req: () => ({
          method: 'GET',
          path: collection(pods),
          token: null,
          headers: { authorization: header() },
        }),
      });
    for (const https of [false, true])
      for (const [method, target, body, type] of [
        ['GET', collection(pods)],
        ['GET', '/api/v1/namespaces'],
        ['POST', collection(pods), () => full(pods, fresh('qt'))],
        ['DELETE', VICTIM_POD],
        ['PATCH', item(pods), { metadata: { labels: { a: 'b' } } }, MERGE],
        ['GET', '/audit/events'],
        ['GET', '/auth/whoami'],
      ] as [string, string, unknown?, string?][])
        cases.push(
          aimed(target, {
            name: `${https ? 'HTTPS' : 'HTTP'} ${method} ${target}?access_token=<admin token>`,
            expect: 401,
            k8s: '401 (kube-apiserver reads the Authorization header only)',
            req: (p) => ({
              method,
              path: `${p}?access_token=${api.token}`,
              token: null,
              body: typeof body === 'function' ? body() : body,
              type,
              https,
            }),
          }),
        );
    cases.push({
      name: 'GET pods?access_token=<session>',
      expect: 401,
      req: () => ({
        method: 'GET',
        path: `${collection(pods)}?access_token=${sessionToken}`,
        token: null,
      }),
    });
    cases.push({
      name: 'POST pods with access_token in a form body',
      expect: [401, 415],
      req: () => ({
        method: 'POST',
        path: collection(pods),
        token: null,
        type: 'application/x-www-form-urlencoded',
        raw: `access_token=${api.token}`,
      }),
    });
    cases.push({
      name: 'POST pods with access_token in the JSON body',
      expect: 401,
      req: () => ({
        method: 'POST',
        path: collection(pods),
        token: null,
        body: { ...full(pods, 'qt-y'), access_token: api.token },
      }),
    });
    cases.push({
      name: 'POST /auth/login with a wrong password',
      expect: 401,
      req: () => ({
        method: 'POST',
        path: '/auth/login',
        token: null,
        body: { username: 'bi-user', password: 'wrong-password' },
      }),
    });
    cases.push({
      name: 'POST /auth/login with a body of the wrong type',
      expect: [400, 401, 422],
      req: () => ({
        method: 'POST',
        path: '/auth/login',
        token: null,
        body: { username: ['bi-user'], password: { a: 1 } },
      }),
    });
    cases.push({
      name: 'POST /auth/login with broken JSON',
      expect: 400,
      req: () => ({ method: 'POST', path: '/auth/login', token: null, raw: '{"username":' }),
    });
    cases.push({
      name: 'POST /auth/tokens with expiresInSeconds -1',
      expect: [400, 422],
      req: () => ({
        method: 'POST',
        path: '/auth/tokens',
        body: { name: 'x', expiresInSeconds: -1 },
        token: sessionToken,
      }),
    });
    cases.push({
      name: 'POST /auth/tokens with expiresInSeconds 1e400',
      expect: [400, 422],
      req: () => ({
        method: 'POST',
        path: '/auth/tokens',
        raw: '{"name":"x","expiresInSeconds":1e400}',
        token: sessionToken,
      }),
    });
    await runCategory('authentication', cases);
  });

  // ---- limits: long URIs, unknown methods, large bodies and headers -------------------

  it('answers a Status for long URIs, unknown methods and bodies over the limit', async () => {
    const cases: Case[] = [];
    const pods = kind('pods');
    const line = (method: string, target: string, extra = '') =>
      `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @TOKEN@\r\n${extra}Connection: close\r\n\r\n`;
    const raw = (name: string, bytes: string, expect: Expect, k8s?: string, https = false) =>
      cases.push({
        name,
        expect,
        k8s,
        req: () => ({
          method: 'GET',
          path: '',
          https,
          socket: bytes.replace('@TOKEN@', api.token),
        }),
        timeoutMs: 3000,
        after: unchanged(item(pods)),
      });
    for (const size of [16 * 1024 + 1, 20 * 1024, 64 * 1024, 200 * 1024]) {
      raw(
        `a ${size}-byte name in the URI`,
        line('GET', `${collection(pods)}/${'a'.repeat(size)}`),
        414,
        '414 URI Too Long',
      );
      raw(
        `a ${size}-byte label selector`,
        line('GET', `${collection(pods)}?labelSelector=a%20in%20(${'x,'.repeat(size / 2)}x)`),
        414,
      );
    }
    raw(
      'a 20 KB URI on DELETE',
      line('DELETE', `${collection(pods)}?x=${'a'.repeat(20 * 1024)}`),
      414,
    );
    raw(
      'a 20 KB URI on POST /auth/login (unauthenticated)',
      `POST /auth/login?x=${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      414,
    );
    raw(
      'an 8 KB name in the URI',
      line('GET', `${collection(pods)}/${'a'.repeat(8 * 1024)}`),
      [400, 404],
    );
    raw(
      'a 100 KB header',
      line('GET', collection(pods), `X-Big: ${'a'.repeat(100 * 1024)}\r\n`),
      431,
      '431 Request Header Fields Too Large',
    );
    raw(
      '3,000 headers',
      line(
        'GET',
        collection(pods),
        Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join(''),
      ),
      'any',
    );
    for (const method of [
      'FOO',
      'BREW',
      'XYZZY',
      'get',
      'PROPFIND',
      'TRACE',
      'LINK',
      'MKCOL',
      'SEARCH',
      'PURGE',
      'LOCK',
      'REPORT',
    ])
      raw(`method ${method} on pods`, line(method, collection(pods)), 405, '405 MethodNotAllowed');
    raw(
      'method FOO on /auth/login (unauthenticated)',
      `FOO /auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      405,
    );
    raw('method FOO on a pod', line('FOO', item(pods)), 405);
    raw('method FOO over HTTPS', line('FOO', collection(pods)), 405, undefined, true);
    raw(
      'a 20 KB URI over HTTPS',
      line('GET', `${collection(pods)}/${'a'.repeat(20 * 1024)}`),
      414,
      undefined,
      true,
    );
    raw(
      'an invalid Content-Length',
      line('POST', collection(pods), 'Content-Type: application/json\r\nContent-Length: abc\r\n'),
      400,
    );
    raw(
      'Content-Length and Transfer-Encoding both',
      `POST ${collection(pods)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @TOKEN@\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      400,
    );
    raw('a request line with spaces in the target', line('GET', `${collection(pods)}/a b`), 400);
    raw(
      'HTTP/9.9',
      `GET ${collection(pods)} HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n`,
      [400, 505],
    );
    raw(
      'a Content-Length of 10 GB',
      line(
        'POST',
        collection(pods),
        'Content-Type: application/json\r\nContent-Length: 10000000000\r\n',
      ),
      413,
      '413 RequestEntityTooLarge',
    );
    const limit = 3 * 1024 * 1024;
    const big = (n: number) =>
      JSON.stringify({
        ...full(pods, fresh()),
        metadata: { name: fresh(), annotations: { a: 'x'.repeat(n) } },
      });
    for (const [method, target] of [
      ['POST', collection(pods)],
      ['PUT', item(pods)],
      ['PATCH', item(pods)],
      ['DELETE', VICTIM_POD],
      ['POST', '/auth/login'],
    ])
      cases.push(
        aimed(target, {
          name: `${method} ${target} with a body over the limit`,
          expect: 413,
          // On a raw socket: the answer comes before the whole body is written, which
          // node:http may report as EPIPE instead of the answer.
          req: (p) => {
            const body = Buffer.from(big(limit + 10));
            const head = [
              `${method} ${p} HTTP/1.1`,
              'Host: x',
              ...(p === '/auth/login' ? [] : [`Authorization: Bearer ${api.token}`]),
              `Content-Type: ${method === 'PATCH' ? MERGE : 'application/json'}`,
              `Content-Length: ${body.length}`,
              // Keep-alive (as kubectl): the server drops the rest of the body and stays.
            ];
            return {
              method,
              path: p,
              socket: Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n'), body]),
            };
          },
        }),
      );
    cases.push({
      name: 'POST pods with a chunked body over the limit',
      expect: 413,
      req: () => ({
        method: 'POST',
        path: collection(pods),
        raw: big(limit + 10),
        headers: { 'transfer-encoding': 'chunked' },
      }),
    });
    await runCategory('limits and methods', cases);
  });

  // ---- DELETE bodies and parameters ---------------------------------------------------

  it('refuses malformed DeleteOptions and deletes nothing', async () => {
    const cases: Case[] = [];
    const bodies: [string, string, Expect, string?][] = [
      ['preconditions a string', '{"preconditions":"x"}', 400],
      ['gracePeriodSeconds "abc"', '{"gracePeriodSeconds":"abc"}', 400],
      [
        'gracePeriodSeconds -5',
        '{"gracePeriodSeconds":-5}',
        [400, 422],
        'accepted (treated as 1 s); the issue asks for 400',
      ],
      ['gracePeriodSeconds 1.5', '{"gracePeriodSeconds":1.5}', 400],
      ['gracePeriodSeconds beyond int64', '{"gracePeriodSeconds":10000000000000000000}', 400],
      [
        'dryRun ["Bogus"]',
        '{"dryRun":["Bogus"]}',
        [400, 422],
        '422 Invalid (dryRun: Unsupported value)',
      ],
      ['dryRun a string', '{"dryRun":"All"}', 400],
      ['dryRun [1]', '{"dryRun":[1]}', 400],
      ['propagationPolicy "Bogus"', '{"propagationPolicy":"Bogus"}', [400, 422], '422 Invalid'],
      ['propagationPolicy a number', '{"propagationPolicy":5}', 400],
      ['orphanDependents "yes"', '{"orphanDependents":"yes"}', 400],
      [
        'orphanDependents with propagationPolicy',
        '{"orphanDependents":true,"propagationPolicy":"Orphan"}',
        [400, 422],
        '422 Invalid',
      ],
      [
        'a precondition on another uid',
        '{"preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}}',
        409,
      ],
      [
        'a precondition on a stale resourceVersion',
        '{"preconditions":{"resourceVersion":"1"}}',
        409,
      ],
      ['a precondition uid a number', '{"preconditions":{"uid":5}}', 400],
      [
        'a precondition resourceVersion garbage',
        '{"preconditions":{"resourceVersion":"garbage"}}',
        [400, 409],
      ],
      ['an array', '[1]', 400],
      ['a string', '"x"', 400],
      ['broken JSON', '{', 400],
      ['another kind', '{"kind":"Pod","apiVersion":"v1"}', 400],
      [
        'DeleteOptions with dryRun ["Bogus"]',
        '{"apiVersion":"v1","kind":"DeleteOptions","dryRun":["Bogus"]}',
        [400, 422],
      ],
    ];
    const queries: [string, Expect][] = [
      ['gracePeriodSeconds=abc', 400],
      ['gracePeriodSeconds=1.5', 400],
      ['gracePeriodSeconds=-5', [400, 422]],
      ['dryRun=Bogus', [400, 422]],
      ['propagationPolicy=Bogus', [400, 422]],
      ['orphanDependents=maybe', 400],
    ];
    for (const plural of ['pods', 'services', 'deployments', 'roles', 'leases', 'namespaces']) {
      for (const [what, raw, expect, k8s] of bodies)
        cases.push(
          onVictim(plural, {
            name: `DELETE ${plural}/<victim> ${what}`,
            expect,
            k8s,
            req: (p) => ({ method: 'DELETE', path: p, raw }),
          }),
        );
      for (const [q, expect] of queries)
        cases.push(
          onVictim(plural, {
            name: `DELETE ${plural}/<victim>?${q}`,
            expect,
            req: (p) => ({ method: 'DELETE', path: `${p}?${q}` }),
          }),
        );
    }
    for (const plural of ['pods', 'leases', 'services']) {
      for (const [what, raw] of [
        ['dryRun ["Bogus"]', '{"dryRun":["Bogus"]}'],
        ['gracePeriodSeconds "abc"', '{"gracePeriodSeconds":"abc"}'],
        ['preconditions a string', '{"preconditions":"x"}'],
        ['broken JSON', '{'],
      ])
        cases.push(
          onCollection(plural, {
            name: `deletecollection ${plural}: ${what}`,
            expect: [400, 422],
            req: (p) => ({ method: 'DELETE', path: p, raw }),
          }),
        );
      cases.push(
        onCollection(plural, {
          name: `deletecollection ${plural}?gracePeriodSeconds=abc`,
          expect: 400,
          req: (p) => ({ method: 'DELETE', path: `${p}?gracePeriodSeconds=abc` }),
        }),
      );
    }
    await runCategory('DELETE options', cases);
  });

  it('deletes nothing on a dry run (DeleteOptions body or dryRun=All)', async () => {
    const cases: Case[] = [];
    for (const plural of [
      'services',
      'deployments',
      'pods',
      'roles',
      'leases',
      'namespaces',
      'tenants',
      'replicasets',
    ]) {
      cases.push(
        onVictim(plural, {
          name: `DELETE ${plural}/<victim> {"dryRun":["All"]}`,
          expect: 200,
          req: (p) => ({ method: 'DELETE', path: p, body: { dryRun: ['All'] } }),
        }),
        onVictim(plural, {
          name: `DELETE ${plural}/<victim> DeleteOptions {"dryRun":["All"],"propagationPolicy":"Foreground"}`,
          expect: 200,
          req: (p) => ({
            method: 'DELETE',
            path: p,
            body: {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              dryRun: ['All'],
              propagationPolicy: 'Foreground',
            },
          }),
        }),
        onVictim(plural, {
          name: `DELETE ${plural}/<victim>?dryRun=All`,
          expect: 200,
          req: (p) => ({ method: 'DELETE', path: `${p}?dryRun=All` }),
        }),
      );
    }
    for (const plural of ['pods', 'leases'])
      cases.push(
        onCollection(plural, {
          name: `deletecollection ${plural} {"dryRun":["All"]}`,
          expect: 200,
          req: (p) => ({ method: 'DELETE', path: p, body: { dryRun: ['All'] } }),
        }),
      );
    await runCategory('dry-run deletes', cases);
  });

  // ---- nothing was written --------------------------------------------------------------

  it('left every target object as it was and wrote nothing', async () => {
    const problems: string[] = [];
    for (const t of targets) {
      const a = await send({ method: 'GET', path: t.path });
      if (a.status !== 200) {
        problems.push(`${t.path}: ${a.status}`);
        continue;
      }
      const m = a.json.metadata;
      if (m.uid !== t.uid) problems.push(`${t.path}: a new object (uid ${m.uid})`);
      if (m.resourceVersion !== t.resourceVersion)
        problems.push(`${t.path}: resourceVersion ${t.resourceVersion} → ${m.resourceVersion}`);
      if (m.deletionTimestamp) problems.push(`${t.path}: being deleted`);
    }
    // Victims a wrong delete took were put back (each such case failed on its own): then
    // the revision has moved for that reason; else nothing may have moved it.
    if (replacedVictims)
      problems.push(`${replacedVictims} wrongly deleted victims had to be re-created`);
    const now = await revision();
    if (!replacedVictims && now !== startRevision)
      problems.push(`the revision moved from ${startRevision} to ${now}`);
    expect(problems).toEqual([]);
    const total = results.reduce((n, r) => n + r.total, 0);
    expect(total).toBeGreaterThanOrEqual(300);
  });
});
