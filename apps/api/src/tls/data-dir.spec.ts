import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { secureDataDir } from './data-dir';

describe('secureDataDir', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-data-dir-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

  it('closes a data directory that an older version left open', () => {
    const dir = path.join(tmp, 'data');
    mkdirSync(path.join(dir, 'pki'), { recursive: true });
    mkdirSync(path.join(dir, 'kubeconfig'));
    mkdirSync(path.join(dir, 'agents'));
    const files = {
      'admin-token': 0o644,
      'jwt-secret': 0o644,
      'admin-password': 0o666,
      'pki/ca.key': 0o644,
      'pki/apiserver.key': 0o640,
      'pki/ca.crt': 0o644,
      'kubeconfig/admin.kubeconfig': 0o644,
      'kubeconfig/team-a.kubeconfig': 0o604,
    };
    for (const [f, m] of Object.entries(files)) {
      writeFileSync(path.join(dir, f), 'x');
      chmodSync(path.join(dir, f), m);
    }
    for (const d of ['', 'pki', 'kubeconfig', 'agents']) chmodSync(path.join(dir, d), 0o755);
    secureDataDir(dir);
    for (const d of ['', 'pki', 'kubeconfig']) expect(mode(path.join(dir, d))).toBe('700');
    for (const f of Object.keys(files).filter((f) => !f.endsWith('.crt')))
      expect([f, mode(path.join(dir, f))]).toEqual([f, '600']);
    // A certificate is public (behind the 0700 directory all the same); other directories
    // are their owners' business.
    expect(mode(path.join(dir, 'pki/ca.crt'))).toBe('644');
    expect(mode(path.join(dir, 'agents'))).toBe('755');
  });

  it('makes a missing one 0700', () => {
    const dir = path.join(tmp, 'new', 'data');
    secureDataDir(dir);
    expect(mode(dir)).toBe('700');
  });
});
