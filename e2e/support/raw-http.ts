import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/** What came back from one request, as a bad-input test reads it. */
export interface Answer {
  /** The HTTP status; 0 when no response came (reset, timeout). */
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  /** Why no full answer came: 'timeout' (still open at the deadline) or the socket error. */
  failure?: string;
  ms: number;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface CallOptions {
  method: string;
  /** The request target exactly as sent (already percent-encoded). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** https://… or http://… base (scheme, host and port). */
  base: string;
  /** CA certificate for HTTPS. */
  ca?: string;
  timeoutMs: number;
}

/** One request through node:http(s) (any method token, any body bytes), read to its end. */
export function call(opts: CallOptions): Promise<Answer> {
  const url = new URL(opts.base);
  const started = Date.now();
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...a, ms: Date.now() - started });
    };
    let req: http.ClientRequest;
    try {
      req = lib.request({
        host: url.hostname,
        port: url.port,
        method: opts.method,
        path: opts.path,
        headers: {
          // Chunked when asked for, else a Content-Length.
          ...(opts.body && !opts.headers?.['transfer-encoding']
            ? { 'content-length': String(opts.body.length) }
            : {}),
          ...opts.headers,
        },
        ca: opts.ca,
        agent: false,
      });
    } catch (err) {
      // node:http refuses some bytes itself (a NUL in a header): the table must send those raw.
      resolve({
        status: 0,
        headers: {},
        text: '',
        json: undefined,
        failure: `not sent: ${(err as Error).message}`,
        ms: 0,
      });
      return;
    }
    const timer = setTimeout(() => {
      finish({ status: 0, headers: {}, text: '', json: undefined, failure: 'timeout' });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) =>
      finish({ status: 0, headers: {}, text: '', json: undefined, failure: err.message }),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) =>
        finish({
          status: res.statusCode ?? 0,
          headers: {},
          text: '',
          json: undefined,
          failure: err.message,
        }),
      );
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) headers[k] = String(v);
        finish({ status: res.statusCode ?? 0, headers, text, json: parseJson(text) });
      });
      // Still open at the deadline (a watch that never ends): the timer reports it.
    });
    req.end(opts.body);
  });
}

/** Decodes a chunked body; undefined while incomplete. */
function dechunk(body: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (body.length < eol + 2 + size + 2) return undefined;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Splits a raw HTTP/1.1 response; complete when the body is all there (or the socket ended). */
export function parseRawResponse(data: Buffer, ended: boolean): Omit<Answer, 'ms'> | undefined {
  const split = data.indexOf('\r\n\r\n');
  if (split < 0)
    return ended
      ? {
          status: 0,
          headers: {},
          text: data.toString('latin1'),
          json: undefined,
          failure: 'no HTTP response',
        }
      : undefined;
  const head = data.subarray(0, split).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body: Buffer | undefined = data.subarray(split + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    body = dechunk(body);
    if (!body)
      return ended
        ? {
            status: Number(m?.[1] ?? 0),
            headers,
            text: '',
            json: undefined,
            failure: 'truncated chunked body',
          }
        : undefined;
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length)
      return ended
        ? {
            status: Number(m?.[1] ?? 0),
            headers,
            text: body.toString('utf8'),
            json: undefined,
            failure: 'truncated body',
          }
        : undefined;
    body = body.subarray(0, length);
  } else if (!ended) {
    return undefined;
  }
  const text = body.toString('utf8');
  return { status: m ? Number(m[1]) : 0, headers, text, json: parseJson(text) };
}

/**
 * Writes `bytes` as they are to a fresh connection (TLS when the base is https) and reads
 * one response: for what node:http will not send (NUL in the request line or headers,
 * unknown methods, 20 KB request lines).
 */
export function rawCall(
  base: string,
  bytes: Buffer,
  timeoutMs: number,
  ca?: string,
): Promise<Answer> {
  const url = new URL(base);
  const started = Date.now();
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    let done = false;
    const socket =
      url.protocol === 'https:'
        ? tls.connect({ host: url.hostname, port: Number(url.port), ca, servername: 'localhost' })
        : net.connect({ host: url.hostname, port: Number(url.port) });
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...a, ms: Date.now() - started });
    };
    const timer = setTimeout(() => {
      finish(parseRawResponse(data, true) ?? { status: 0, headers: {}, text: '', json: undefined });
      done = true;
    }, timeoutMs);
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      // The server may answer (and close) before it has read everything: ignore EPIPE.
      socket.write(bytes, () => undefined);
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parseRawResponse(data, false);
      if (parsed) finish(parsed);
    });
    socket.on('error', () => {
      const parsed = parseRawResponse(data, true);
      finish(
        parsed ?? {
          status: 0,
          headers: {},
          text: '',
          json: undefined,
          failure: 'connection reset',
        },
      );
    });
    socket.on('end', () => {
      finish(
        parseRawResponse(data, true) ?? {
          status: 0,
          headers: {},
          text: '',
          json: undefined,
          failure: 'closed',
        },
      );
    });
  });
}
