/** Shared by the patch specs; not exported from the module. */
import { ApiError } from '../api/status';

/** Runs `fn`, expects it to throw an ApiError and returns that error. */
export function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw new Error(`expected an ApiError, got ${String(err)}`);
  }
  throw new Error('expected an ApiError, but nothing was thrown');
}

/** A deep-frozen structured copy, so a test fails loudly if code under test mutates it. */
export function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v === 'object' && v !== null) {
      Object.freeze(v);
      Object.values(v).forEach(freeze);
    }
  };
  freeze(copy);
  return copy;
}
