// Quantities as plain numbers for bars and sums (cpu in cores, memory in bytes), read with
// @berth/core's parser, and readable amounts and ages for display.
import { parseQuantity } from '@berth/core/quantity/quantity';

/**
 * A quantity as a number: 0 when absent, undefined when it does not parse (the caller
 * shows it as written, never as 0).
 */
export function quantityNumber(q: unknown): number | undefined {
  if (q === undefined || q === null || q === '') return 0;
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  try {
    return Number(parseQuantity(q).nanoValue()) / 1e9;
  } catch {
    return undefined;
  }
}

/** The sum of quantities; undefined when one of them does not parse. */
export function sumQuantities(values: Iterable<unknown>): number | undefined {
  let sum = 0;
  for (const v of values) {
    const n = quantityNumber(v);
    if (n === undefined) return undefined;
    sum += n;
  }
  return sum;
}

/** A readable amount for a resource name (cpu, memory, counts). */
export function formatQuantity(resource: string, n: number): string {
  if (/memory|storage/.test(resource)) {
    for (const [unit, size] of [
      ['Ti', 2 ** 40],
      ['Gi', 2 ** 30],
      ['Mi', 2 ** 20],
      ['Ki', 2 ** 10],
    ] as const)
      if (n >= size) return `${+(n / size).toFixed(1)}${unit}`;
    return String(n);
  }
  if (/cpu/.test(resource)) return n < 1 && n > 0 ? `${Math.round(n * 1000)}m` : `${+n.toFixed(2)}`;
  return String(+n.toFixed(2));
}

/**
 * A quantity for display: formatted when it parses, else as written; `?` for a number that
 * is not one (a sum over a value that did not parse).
 */
export function showQuantity(resource: string, q: unknown): string {
  const n = quantityNumber(q);
  if (n !== undefined) return formatQuantity(resource, n);
  return typeof q === 'string' ? q : '?';
}

export function age(ts?: string, now = Date.now()): string {
  if (!ts) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A duration as kubectl's `--duration` takes it (`1h`, `90m`, `1h30m`, `3600s`; `d` for
 * days as a convenience) in whole seconds; undefined when it is not one.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (!/^(\d+[smhd])+$/.test(s)) return undefined;
  let total = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)([smhd])/g)) total += Number(n) * DURATION_UNITS[unit];
  return total;
}
