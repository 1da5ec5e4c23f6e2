import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The subdirectories of the data directory that the API server writes. */
const SUBDIRS = ['pki', 'kubeconfig'];

/**
 * Makes the data directory the server's own, also when an older version (or a hand) left
 * it open: the directory and its pki/ and kubeconfig/ are 0700, the secrets in them
 * (admin-token, jwt-secret, admin-password, keys, kubeconfigs) 0600. Certificates are
 * public and keep their mode (behind a 0700 directory all the same). Other directories in
 * it (a demo's agents, say) are left to their owners. Symbolic links are not followed.
 */
export function secureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const tighten = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const at = path.join(dir, name);
      const st = lstatSync(at);
      if (st.isFile() && !name.endsWith('.crt') && (st.mode & 0o077) !== 0)
        chmodSync(at, st.mode & 0o700);
    }
  };
  tighten(dataDir);
  for (const sub of SUBDIRS) {
    const at = path.join(dataDir, sub);
    let st;
    try {
      st = lstatSync(at);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue;
    chmodSync(at, 0o700);
    tighten(at);
  }
}
