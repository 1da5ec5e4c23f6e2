#!/usr/bin/env node
// A small workload for the process-runtime e2e tests: an HTTP server on $PORT that answers
// with its pod's name, logs every request, and can be told to misbehave:
//   --crash             exits with code 1 after 300 ms (a crash loop)
//   --hog               allocates memory until something stops it (OOMKilled)
//   --sick-after MS     /healthz answers 500 once MS have passed (a failing liveness probe)
// GET /ready answers 503 after GET /unready (a failing readiness probe), 200 after /ready-again.
// Any further argument (a run marker) is ignored; the tests find the processes by it.
const http = require('node:http');

const args = process.argv.slice(2);
const pod = process.env.POD_NAME || 'unknown';
const started = Date.now();
const sickAfter = args.includes('--sick-after')
  ? Number(args[args.indexOf('--sick-after') + 1])
  : Infinity;

function crash() {
  console.log(`${pod} starting, will crash, pid=${process.pid}`);
  setTimeout(() => {
    console.error(`${pod} crashing`);
    process.exit(1);
  }, 300);
}

function hog() {
  console.log(`${pod} allocating memory, pid=${process.pid}`);
  const kept = [];
  setInterval(() => {
    kept.push(Buffer.alloc(8 * 1024 * 1024, 1));
  }, 20);
}

function serve() {
  let ready = true;
  const server = http.createServer((req, res) => {
    console.log(`${req.method} ${req.url}`);
    if (req.url === '/healthz') {
      const sick = Date.now() - started > sickAfter;
      res.writeHead(sick ? 500 : 200).end(sick ? 'sick\n' : 'ok\n');
    } else if (req.url === '/ready') {
      res.writeHead(ready ? 200 : 503).end(ready ? 'ready\n' : 'not ready\n');
    } else if (req.url === '/unready') {
      ready = false;
      res.writeHead(200).end('now unready\n');
    } else if (req.url === '/ready-again') {
      ready = true;
      res.writeHead(200).end('ready again\n');
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${pod}\n`);
    }
  });
  server.listen(Number(process.env.PORT), () => {
    console.log(`${pod} listening on ${process.env.PORT} pid=${process.pid}`);
  });
  process.on('SIGTERM', () => {
    console.log(`${pod} got SIGTERM, closing`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

if (args.includes('--crash')) crash();
else if (args.includes('--hog')) hog();
else serve();
