/**
 * One probe attempt: an HTTP GET (success on 200–399), a TCP connect, or (given an exec
 * function) a command whose exit code is 0. Each resolves to a result, never throws.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { ProbeSpec } from './types';

export interface ProbeResult {
  ok: boolean;
  message?: string;
}

/** Where a runtime's container is probed. */
export interface ProbeEndpoint {
  /** Where a probe's `port` (a number or a port name) and `host` are reached, or why not. */
  address(
    port: number | string,
    host?: string,
  ): { host: string; port: number } | { message: string };
  /** An exec probe's command, in the container, bounded by `timeoutMs`. */
  exec(command: string[], timeoutMs: number): Promise<ProbeResult>;
}

/**
 * One probe attempt, as kubelet's prober makes it: httpGet (a status of 200–399 is
 * success), tcpSocket (a connection is success) or exec (exit code 0 is success), each
 * bounded by `timeoutSeconds` (default 1).
 */
export function runProbe(p: ProbeSpec, endpoint: ProbeEndpoint): Promise<ProbeResult> {
  const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
  if (p.exec) return endpoint.exec(p.exec.command, timeoutMs);
  const target = p.httpGet ?? p.tcpSocket;
  if (!target)
    return Promise.resolve({
      ok: false,
      message: 'the probe has no handler (httpGet, tcpSocket or exec)',
    });
  const where = endpoint.address(target.port, target.host || undefined);
  if ('message' in where) return Promise.resolve({ ok: false, message: where.message });
  if (p.httpGet)
    return httpCheck(
      p.httpGet.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
      where.host,
      where.port,
      p.httpGet.path || '/',
      timeoutMs,
    );
  return tcpCheck(where.host, where.port, timeoutMs);
}

export function httpCheck(
  scheme: 'HTTP' | 'HTTPS',
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const get = scheme === 'HTTPS' ? https.get : http.get;
    const req = get(
      {
        host,
        port,
        path: path.startsWith('/') ? path : `/${path}`,
        timeout: timeoutMs,
        // A fresh connection per attempt, as kubelet's (no keep-alive hiding a dead server).
        agent: false,
        headers: { 'User-Agent': 'berth-probe/1.0', Accept: '*/*' },
        // kubelet does not verify the certificate of HTTPS probes.
        ...(scheme === 'HTTPS' ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(
          code >= 200 && code < 400
            ? { ok: true }
            : { ok: false, message: `HTTP probe failed with statuscode: ${code}` },
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) =>
      resolve({
        ok: false,
        message: `Get "${scheme.toLowerCase()}://${host}:${port}${path}": ${err.message}`,
      }),
    );
  });
}

export function tcpCheck(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` });
    });
  });
}

/** `fn` with a deadline: a late answer counts as a failure. */
export async function withTimeout(
  fn: () => Promise<ProbeResult>,
  timeoutMs: number,
  what: string,
): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, message: `${what} timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      fn().catch((err: Error) => ({ ok: false, message: `${what}: ${err.message}` })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
