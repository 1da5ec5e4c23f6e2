/**
 * One probe attempt: an HTTP GET (success on 200–399), a TCP connect, or (given an exec
 * function) a command whose exit code is 0. Each resolves to a result, never throws.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface ProbeResult {
  ok: boolean;
  message?: string;
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
