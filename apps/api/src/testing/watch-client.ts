import http from 'node:http';

export interface WatchEventLike {
  type: string;
  object: {
    kind?: string;
    metadata?: { name?: string; resourceVersion?: string };
    code?: number;
    reason?: string;
    [k: string]: unknown;
  };
}

export interface WatchClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: WatchEventLike[];
  /** Resolves when `predicate(events)` holds; rejects at the deadline. */
  until(
    predicate: (events: WatchEventLike[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
  /** Resolves when the server ends the stream (cleanly or not: see outcome). */
  ended: Promise<void>;
  /** 'end': the stream ended with its terminator; 'error': it was cut (a reset). */
  outcome(): 'open' | 'end' | 'error';
  close(): void;
}

/** Opens a watch (`?watch=true…`) and collects its newline-delimited JSON events. */
export function openWatch(
  baseUrl: string,
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<WatchClient> {
  return new Promise((resolve, reject) => {
    const events: WatchEventLike[] = [];
    const waiters = new Set<() => void>();
    let endResolve!: () => void;
    let outcome: 'open' | 'end' | 'error' = 'open';
    const ended = new Promise<void>((r) => (endResolve = r));
    const req = http.get(
      `${baseUrl}${path}`,
      { headers: { Authorization: `Bearer ${token}`, ...headers } },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let idx: number;
          while ((idx = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, idx);
            buffer = buffer.slice(idx + 1);
            if (line.trim()) events.push(JSON.parse(line) as WatchEventLike);
          }
          for (const w of [...waiters]) w();
        });
        res.on('end', () => {
          if (outcome === 'open') outcome = 'end';
          endResolve();
          for (const w of [...waiters]) w();
        });
        res.on('error', () => {
          if (outcome === 'open') outcome = 'error';
          endResolve();
        });
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          events,
          ended,
          outcome: () => outcome,
          close: () => req.destroy(),
          until(predicate, what, timeoutMs = 10_000) {
            return new Promise<void>((ok, fail) => {
              const check = () => {
                if (predicate(events)) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  ok();
                }
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(
                  new Error(
                    `timed out waiting for ${what}; got ${events.length} events: ${JSON.stringify(events.slice(-3)).slice(0, 500)}`,
                  ),
                );
              }, timeoutMs);
              waiters.add(check);
              check();
            });
          },
        });
      },
    );
    req.on('error', reject);
  });
}
