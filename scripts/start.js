#!/usr/bin/env node
// `npm start`: runs the built API server (migrations are applied by the server itself)
// and a worker (scheduler + controllers), waits until the API is ready, seeds a demo
// namespace, and prints how to reach it.
const { spawn } = require('node:child_process');
const path = require('node:path');

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
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    api.kill(sig);
    worker?.kill(sig);
  });
}
api.on('exit', (code) => {
  if (!stopping) console.error(`berth-api exited with code ${code}`);
  worker?.kill('SIGTERM');
  process.exit(code ?? 1);
});

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
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const demo = await fetch(`${httpUrl}/api/v1/namespaces`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo', labels: { 'berth.dev/demo': 'true' } },
    }),
  });
  if (demo.status !== 201 && demo.status !== 409)
    console.error(`berth: could not seed the demo namespace (${demo.status})`);
  const kubeconfig = path.join(env.BERTH_DATA_DIR, 'kubeconfig', 'admin.kubeconfig');
  console.log(`
  Berth is up: API server and worker (scheduler + controllers).

    API (HTTPS, for kubectl):   https://127.0.0.1:${port}
    API (plain HTTP, loopback): ${httpUrl}
    OpenAPI document:           ${httpUrl}/openapi.json   (interactive: ${httpUrl}/docs)
    Admin token:                ${token}
    Admin kubeconfig:           ${kubeconfig}

  Try:
    export KUBECONFIG=${kubeconfig}
    kubectl get namespaces
    kubectl create deployment web --image=nginx -n demo && kubectl get deploy,pods -n demo

  Stop with Ctrl-C.
`);
})();
