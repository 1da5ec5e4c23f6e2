import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { ServiceIPRange } from '@berth/core';
import { Registry } from '@berth/registry';
import { applyMigrations, ensureDatabase } from '@berth/store';
import { AppModule } from './app.module';
import { installClientErrorHandler, SERVER_OPTIONS, requestLineChecks } from './common/edge';
import { bodyParserError, sendStatus } from './common/http';
import { hostName, type AppConfig } from './config/app-config';
import { apiLogger } from './config/nest-logger';
import { OpenApiService } from './openapi/openapi.service';
import {
  advertisedAddress,
  ensureKubernetesService,
  ensureSystemNamespaces,
} from './store/system-namespaces';
import { ensureTlsMaterial, type TlsMaterial } from './tls/certificates';
import { publishServingCa } from './tls/publish-ca';
import { secureDataDir } from './tls/data-dir';
import { writeKubeconfig } from './tls/kubeconfig';

export interface ApiServer {
  app: INestApplication;
  config: AppConfig;
  tls: TlsMaterial;
  /** https://127.0.0.1:<port> */
  url: string;
  /** http://127.0.0.1:<port> when plain HTTP on loopback is enabled. */
  httpUrl?: string;
  /** Admin kubeconfig written into the data directory. */
  kubeconfigPath: string;
  close(): Promise<void>;
}

/** A secret from the config, else generated once and kept in the data directory. */
function resolveSecret(given: string, dataDir: string, file: string): string {
  if (given) return given;
  const at = path.join(dataDir, file);
  if (existsSync(at)) return readFileSync(at, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(at, secret + '\n', { mode: 0o600 });
  return secret;
}

/** The static admin token: from the config, else generated once into the data directory. */
export function resolveAdminToken(config: AppConfig): string {
  return resolveSecret(config.adminToken, config.dataDir, 'admin-token');
}

function listen(server: http.Server | https.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** How long a connection must have been idle before shutdown closes it (see below). */
const IDLE_GRACE_MS = 300;

/**
 * Closes, on each call, the server's connections that have no request under way and have
 * had none for `olderThanMs`. Node's closeIdleConnections also closes a connection just
 * accepted whose first request is still on its way, which the client sees as a reset of a
 * request it cannot safely retry (a POST); Go's Shutdown spares new connections the same
 * way. The client of a connection left idle that long may still meet the close, as with any
 * server.
 */
function trackIdleConnections(server: http.Server | https.Server): IdleConnections {
  const idleSince = new Map<import('node:net').Socket, number>();
  const event = server instanceof https.Server ? 'secureConnection' : 'connection';
  server.on(event, (socket: import('node:net').Socket) => {
    idleSince.set(socket, Date.now());
    socket.once('close', () => idleSince.delete(socket));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    idleSince.set(req.socket, Infinity);
    res.once('finish', () => {
      if (idleSince.has(req.socket)) idleSince.set(req.socket, Date.now());
    });
  });
  const close = (olderThanMs: number) => {
    const before = Date.now() - olderThanMs;
    for (const [socket, since] of idleSince) if (since <= before) socket.destroy();
  };
  return Object.assign(close, { open: () => idleSince.size });
}

type IdleConnections = ((olderThanMs: number) => void) & { open(): number };

/**
 * Starts the API server: migrations, TLS material, the Nest app on HTTPS (and plain
 * HTTP on loopback when configured), and an admin kubeconfig.
 */
export async function startApiServer(input: AppConfig): Promise<ApiServer> {
  // Secrets live here: 0700, and 0600 for what an older version may have left open.
  secureDataDir(input.dataDir);
  const config = {
    ...input,
    adminToken: resolveAdminToken(input),
    // Several API replicas must share it (set BERTH_JWT_SECRET, or share the data directory).
    jwtSecret: resolveSecret(input.jwtSecret, input.dataDir, 'jwt-secret'),
  };
  const logger = apiLogger(config);
  await ensureDatabase(config.databaseUrl);
  const applied = await applyMigrations(config.databaseUrl);
  if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`, 'Store');
  // The `kubernetes` Service's address and names, as kube-apiserver's certificate has them:
  // in-cluster clients verify the API at KUBERNETES_SERVICE_HOST.
  const kubernetesServiceIP = ServiceIPRange.parse(config.serviceCIDR).at(0);
  const tls = ensureTlsMaterial(config.dataDir, [
    'localhost',
    '127.0.0.1',
    '::1',
    hostName(),
    kubernetesServiceIP,
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    ...config.extraSans,
  ]);

  const expressApp = express();
  expressApp.disable('x-powered-by');
  expressApp.set('etag', false);
  expressApp.use(requestLineChecks);
  // Once shutting down, every answer ends its connection, so keep-alive clients reconnect
  // (to another replica) instead of sending their next request on a socket about to close.
  // Requests being answered (watches aside, which shutdown ends): close() lets them finish
  // before the store goes.
  let draining = false;
  // Set when shutdown begins: /readyz turns 503 at once with this reason, before anything
  // else changes, so load balancers take this replica out while it still serves.
  let unready: string | undefined;
  const inflight = new Set<express.Response>();
  expressApp.use((req, res, next) => {
    if (unready !== undefined && req.path === '/readyz')
      return void res
        .status(503)
        .setHeader('Retry-After', '1')
        .type('text/plain')
        .send(`[-]shutdown failed: ${unready}\nreadyz check failed`);
    if (draining) res.setHeader('Connection', 'close');
    if (!/[?&]watch=(true|1)(&|$)|\/watch\//.test(req.url)) {
      inflight.add(res);
      res.once('close', () => inflight.delete(res));
    }
    next();
  });
  const raw = express.raw({ type: () => true, limit: config.maxBodyBytes });
  expressApp.use((req, res, next) => {
    // A declared length over the limit is refused at once, as kube-apiserver does: the body
    // parser would first read (and drop) all of it, so a client announcing 10 GB and
    // sending nothing got no answer at all. What the client still sends is read and
    // dropped (so it can read the answer rather than meet a reset), up to the limit once
    // more; past that the connection is cut (Go's server does the same past 256 KB).
    const declared = Number(req.headers['content-length']);
    if (declared > config.maxBodyBytes) {
      let dropped = 0;
      req.on('data', (chunk: Buffer) => {
        dropped += chunk.length;
        if (dropped > 4 * config.maxBodyBytes) req.socket.destroy();
      });
      return sendStatus(
        res,
        bodyParserError({ type: 'entity.too.large', limit: config.maxBodyBytes }).toStatus(),
      );
    }
    raw(req, res, (err?: unknown) => {
      if (err) return sendStatus(res, bodyParserError(err as { type?: string }).toStatus());
      next();
    });
  });
  const app = await NestFactory.create(
    AppModule.forConfig(config),
    new ExpressAdapter(expressApp),
    {
      bodyParser: false,
      logger,
    },
  );
  // No enableShutdownHooks: on a signal Nest would close the app (the store with it) at once,
  // under requests still being answered; main.ts calls close(), which drains them first and
  // then runs the same shutdown hooks through app.close().
  SwaggerModule.setup('docs', app, app.get(OpenApiService).document() as never, {
    customSiteTitle: 'Berth API',
    jsonDocumentUrl: 'docs/openapi.json',
  });
  await app.init();
  await ensureSystemNamespaces(app.get(Registry));
  await publishServingCa(app.get(Registry), tls.caCertPem);

  const httpsServer = https.createServer(
    { key: tls.keyPem, cert: tls.certPem, ...SERVER_OPTIONS },
    expressApp,
  );
  installClientErrorHandler(httpsServer);
  const httpsIdle = trackIdleConnections(httpsServer);
  const port = await listen(httpsServer, config.port, config.host);
  const url = `https://127.0.0.1:${port}`;
  await ensureKubernetesService(
    app.get(Registry),
    advertisedAddress(config.host),
    port,
    kubernetesServiceIP,
  );
  let httpServer: http.Server | undefined;
  let httpIdle: IdleConnections | undefined;
  let httpUrl: string | undefined;
  if (config.httpPort !== undefined) {
    httpServer = http.createServer(SERVER_OPTIONS, expressApp);
    installClientErrorHandler(httpServer);
    httpIdle = trackIdleConnections(httpServer);
    const p = await listen(httpServer, config.httpPort, '127.0.0.1');
    httpUrl = `http://127.0.0.1:${p}`;
  }
  const kubeconfigPath = writeKubeconfig(
    path.join(config.dataDir, 'kubeconfig', 'admin.kubeconfig'),
    {
      server: url,
      caCertPem: tls.caCertPem,
      token: config.adminToken,
      name: 'berth-admin',
    },
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const servers = [httpsServer, httpServer].filter(Boolean) as (http.Server | https.Server)[];
      // Unready first, and keep serving through the shutdown delay (kube-apiserver's
      // --shutdown-delay-duration): load balancers see /readyz fail and stop sending here
      // before the listener goes.
      unready = 'the server is shutting down';
      if (config.shutdownDelayMs > 0) {
        logger.log(`readyz is 503; serving for ${config.shutdownDelayMs} ms more`, 'Shutdown');
        await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      }
      // Stop accepting, let requests under way finish (up to the shutdown timeout), end
      // the watches and the store (shutdown hooks), then let keep-alive sockets go as soon
      // as they are idle (forcefully after a grace period).
      draining = true;
      const stopped = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      const closeIdle = (olderThanMs: number) =>
        [httpsIdle, httpIdle].forEach((f) => f?.(olderThanMs));
      closeIdle(IDLE_GRACE_MS);
      // A connection accepted just before the listener closed may still be sending its
      // first request: give it the idle grace too before the store goes.
      const started = Date.now();
      const drainUntil = started + config.shutdownTimeoutMs;
      const connectionsOpen = () =>
        [httpsIdle, httpIdle].some((f) => f !== undefined && f.open() > 0);
      while (
        (inflight.size > 0 || (connectionsOpen() && Date.now() - started < IDLE_GRACE_MS)) &&
        Date.now() < drainUntil
      )
        await new Promise((r) => setTimeout(r, 20));
      if (inflight.size > 0)
        logger.warn(
          `${inflight.size} request(s) still under way at the shutdown timeout`,
          'Shutdown',
        );
      await app.close();
      const sweep = setInterval(() => closeIdle(IDLE_GRACE_MS), 50);
      const force = setTimeout(() => servers.forEach((s) => s.closeAllConnections()), 3000);
      await Promise.all(stopped);
      clearInterval(sweep);
      clearTimeout(force);
    })();
    return closing;
  };
  return { app, config, tls, url, httpUrl, kubeconfigPath, close };
}
