// Shared pieces of the benchmarks: options, a fresh API server on its own database,
// a keep-alive HTTP client and percentiles.
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { startApiServer } = require(path.join(root, 'apps/api/dist/server'));
const { loadConfig } = require(path.join(root, 'apps/api/dist/config/app-config'));
const store = require(path.join(root, 'libs/store/dist'));

/** `--name value` options from the command line, with `--help` printing `usage`. */
function options(usage) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log(usage);
    process.exit(0);
  }
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  return { opt, flag: (name) => args.includes(`--${name}`) };
}

/** An API server on a fresh database (dropped by `close()`), with a random admin token. */
async function startBenchServer(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/berth_${name}_${Date.now().toString(36)}`;
  const dbUrl = url.toString();
  await store.ensureDatabase(dbUrl);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `berth-${name}-`));
  const token = `bench-${randomBytes(8).toString('hex')}`;
  const server = await startApiServer({
    ...loadConfig({}),
    databaseUrl: dbUrl,
    port: 0,
    host: '127.0.0.1',
    httpPort: 0,
    dataDir,
    adminToken: token,
    logLevel: 'error',
  });
  return {
    base: server.httpUrl,
    dbUrl,
    token,
    async close() {
      await server.close();
      await store.dropDatabase(dbUrl);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A keep-alive JSON client; rejects on any non-2xx answer. */
function httpClient(base, token, maxSockets = 64) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const call = (method, urlPath, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        `${base}${urlPath}`,
        {
          method,
          agent,
          headers: {
            Authorization: `Bearer ${token}`,
            ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode >= 300)
              reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text}`));
            else resolve(text ? JSON.parse(text) : {});
          });
        },
      );
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  return { call, close: () => agent.destroy() };
}

/** Runs `fn(i)` for i < n with `clients` in flight. */
async function parallel(n, clients, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        await fn(i);
      }
    }),
  );
}

function pct(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

module.exports = { root, store, options, startBenchServer, httpClient, parallel, pct };
