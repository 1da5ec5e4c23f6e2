import { createHash, randomBytes } from 'node:crypto';
import type { CredentialKind } from '@berth/store';

/**
 * Bearer secrets carry their kind in a prefix (`bt_` API token, `bn_` node credential,
 * `bb_` bootstrap token) so a leaked one is recognisable by secret scanners, and 256 bits
 * of randomness, so a plain SHA-256 is a safe hash to store (no salt or slow hash needed,
 * unlike passwords).
 */
const PREFIX: Record<CredentialKind, string> = { token: 'bt_', node: 'bn_', bootstrap: 'bb_' };

export function newSecret(kind: CredentialKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The kind a secret claims by its prefix; undefined for anything else (e.g. a JWT). */
export function secretKind(secret: string): CredentialKind | undefined {
  for (const [kind, prefix] of Object.entries(PREFIX) as [CredentialKind, string][])
    if (secret.startsWith(prefix)) return kind;
  return undefined;
}
