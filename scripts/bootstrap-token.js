#!/usr/bin/env node
// For docker-compose.yml's `agent-token` service: gives a node agent what it needs to
// join, without the agent ever seeing the admin token. Reads the API's data directory
// (BERTH_API_DATA_DIR: admin-token, pki/ca.crt), asks the API (BERTH_API_URL) for a
// bootstrap token, and writes `bootstrap-token` and `ca.crt` into the directory given as
// the argument. Does nothing when that directory already has a bootstrap token.
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

async function main(outDir) {
  if (!outDir) throw new Error('usage: bootstrap-token.js <output directory>');
  const tokenFile = path.join(outDir, 'bootstrap-token');
  if (fs.existsSync(tokenFile)) {
    console.log(`berth: ${tokenFile} exists; nothing to do`);
    return;
  }
  const apiDir = process.env.BERTH_API_DATA_DIR || '/api-data';
  const apiUrl = process.env.BERTH_API_URL || 'https://api:6443';
  const adminToken = fs.readFileSync(path.join(apiDir, 'admin-token'), 'utf8').trim();
  const ca = fs.readFileSync(path.join(apiDir, 'pki', 'ca.crt'), 'utf8');
  const body = JSON.stringify({ description: 'docker compose agent' });
  const answer = await new Promise((resolve, reject) => {
    const req = https.request(
      new URL('/auth/bootstrap-tokens', apiUrl),
      {
        method: 'POST',
        ca,
        headers: {
          authorization: `Bearer ${adminToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          res.statusCode === 201 || res.statusCode === 200
            ? resolve(JSON.parse(text))
            : reject(new Error(`POST /auth/bootstrap-tokens: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'ca.crt'), ca);
  fs.writeFileSync(tokenFile, answer.token + '\n', { mode: 0o600 });
  console.log(`berth: wrote a bootstrap token and the API's CA to ${outDir}`);
}

main(process.argv[2]).catch((err) => {
  console.error(`berth: ${err.message}`);
  process.exit(1);
});
