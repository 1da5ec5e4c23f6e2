// The demo `npm start` seeds, through the API like any client (idempotent: a restart keeps
// what exists, including changed passwords): the first cluster admin, tenants team-a and
// team-b with a user per tenant role, a namespace each with a quota, and a kubeconfig per
// team (an API token of its tenant admin).
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const TEAMS = [
  {
    tenant: 'team-a',
    display: 'Team A',
    namespace: 'team-a-dev',
    users: { alice: 'tenant-admin', dave: 'developer', vera: 'viewer' },
  },
  {
    tenant: 'team-b',
    display: 'Team B',
    namespace: 'team-b-dev',
    users: { bob: 'tenant-admin', erin: 'developer', walt: 'viewer' },
  },
];

/** A secret kept in the data directory: made on first start, the same afterwards. */
function persistent(dataDir, file, make) {
  const at = path.join(dataDir, file);
  if (fs.existsSync(at)) return fs.readFileSync(at, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = make();
  fs.writeFileSync(at, value + '\n', { mode: 0o600 });
  return value;
}

function password() {
  return randomBytes(9).toString('base64url');
}

async function seedDemo({ httpUrl, adminToken, dataDir, adminKubeconfig }) {
  const call = async (method, url, body, token = adminToken) => {
    const res = await fetch(`${httpUrl}${url}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ensure = async (what, method, url, body) => {
    const res = await call(method, url, body);
    if (res.status >= 300 && res.status !== 409)
      throw new Error(`seeding ${what}: ${res.status} ${res.body?.message ?? ''}`);
    return res;
  };

  const adminPassword =
    process.env.BERTH_ADMIN_PASSWORD || persistent(dataDir, 'admin-password', password);
  const demoPassword = persistent(dataDir, 'demo-password', password);
  await ensure('the cluster admin', 'POST', '/auth/users', {
    username: 'admin',
    password: adminPassword,
    displayName: 'Cluster admin',
    clusterAdmin: true,
  });
  const kubeconfigs = {};
  for (const team of TEAMS) {
    for (const username of Object.keys(team.users))
      await ensure(username, 'POST', '/auth/users', { username, password: demoPassword });
    await ensure(team.tenant, 'POST', '/apis/tenancy.berth.dev/v1/tenants', {
      metadata: { name: team.tenant },
      spec: {
        displayName: team.display,
        namespaceLimit: 5,
        members: Object.entries(team.users).map(([user, role]) => ({ user, role })),
        quota: {
          hard: {
            'requests.cpu': '4',
            'requests.memory': '8Gi',
            pods: '40',
            'count/services': '10',
            'count/deployments.apps': '10',
          },
        },
      },
    });
    await ensure(team.namespace, 'POST', '/api/v1/namespaces', {
      metadata: { name: team.namespace, labels: { 'tenancy.berth.dev/tenant': team.tenant } },
    });
    await ensure(
      `${team.namespace} quota`,
      'POST',
      `/api/v1/namespaces/${team.namespace}/resourcequotas`,
      {
        metadata: { name: 'default' },
        spec: { hard: { 'requests.cpu': '2', 'requests.memory': '4Gi', pods: '20' } },
      },
    );
    // The team kubeconfig carries an API token of its tenant admin; reused while valid.
    const admin = Object.keys(team.users).find((u) => team.users[u] === 'tenant-admin');
    const file = path.join(dataDir, 'kubeconfig', `${team.tenant}.kubeconfig`);
    const previous = fs.existsSync(file)
      ? /token: (\S+)/.exec(fs.readFileSync(file, 'utf8'))?.[1]
      : undefined;
    const stillValid =
      previous && (await call('GET', '/auth/whoami', undefined, previous)).status === 200;
    if (!stillValid) {
      const login = await call('POST', '/auth/login', { username: admin, password: demoPassword });
      if (login.status !== 200)
        throw new Error(
          `seeding: ${admin} could not log in (${login.status}); was the password changed?`,
        );
      const token = await call(
        'POST',
        '/auth/tokens',
        { name: 'demo kubeconfig' },
        login.body.token,
      );
      const config = YAML.parse(fs.readFileSync(adminKubeconfig, 'utf8'));
      const name = `berth-${team.tenant}`;
      config.clusters[0].name = name;
      config.users = [{ name, user: { token: token.body.token } }];
      config.contexts = [
        { name, context: { cluster: name, user: name, namespace: team.namespace } },
      ];
      config['current-context'] = name;
      fs.writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
      fs.chmodSync(file, 0o600); // an older one may have been left readable
    }
    kubeconfigs[team.tenant] = file;
  }
  return { adminPassword, demoPassword, kubeconfigs, teams: TEAMS };
}

module.exports = { seedDemo, TEAMS };
