#!/usr/bin/env node
// `npm start`: runs the built API server (migrations are applied by the server itself)
// and a worker (scheduler + controllers), waits until the API is ready, seeds the demo
// (scripts/seed-demo.js: cluster admin, two tenants with users and namespaces), starts two
// node agents with the process runtime (node-1, node-2: pods run as real processes), and
// prints the logins and kubeconfigs.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { seedDemo } = require('./seed-demo');

const root = path.resolve(__dirname, '..');
const env = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/berth',
  BERTH_DATA_DIR: path.join(root, '.data'),
  BERTH_HTTP_PORT: '8080',
  BERTH_LOG_FORMAT: 'text',
  ...process.env,
};
const port = env.PORT || '6443';

const api = spawn(process.execPath, [path.join(root, 'apps/api/dist/main.js')], {
  cwd: root,
  env,
  stdio: 'inherit',
});
let worker;
const agents = [];
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    api.kill(sig);
    worker?.kill(sig);
    for (const a of agents) a.kill(sig);
  });
}
api.on('exit', (code) => {
  if (!stopping) console.error(`berth-api exited with code ${code}`);
  worker?.kill('SIGTERM');
  for (const a of agents) a.kill('SIGTERM');
  process.exit(code ?? 1);
});

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
    nodes = await startAgents(httpUrl, token);
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
