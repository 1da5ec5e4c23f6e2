import type { ApiResponse } from './api-client';

/** An answer that is neither success nor "unreachable": worth a log line, then a retry. */
export class ApiRefused extends Error {
  constructor(
    what: string,
    readonly res: ApiResponse<unknown>,
  ) {
    const message = (res.body as { message?: string } | undefined)?.message ?? '';
    super(`${what}: ${res.status} ${message}`.trim());
  }
}

export function ok(res: ApiResponse<unknown>): boolean {
  return res.status >= 200 && res.status < 300;
}
