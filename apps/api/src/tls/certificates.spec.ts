import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTlsMaterial } from './certificates';

describe('ensureTlsMaterial', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'berth-tls-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a CA and a serving certificate with the SANs, signed by the CA', () => {
    const tls = ensureTlsMaterial(dir, ['localhost', '127.0.0.1', 'berth.example']);
    const ca = new X509Certificate(tls.caCertPem);
    const cert = new X509Certificate(tls.certPem);
    expect(ca.ca).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:berth.example');
  });

  it('keeps the CA across restarts and re-issues the serving certificate when a name is missing', () => {
    const first = ensureTlsMaterial(dir, ['localhost']);
    const again = ensureTlsMaterial(dir, ['localhost']);
    expect(again.certPem).toBe(first.certPem);
    const more = ensureTlsMaterial(dir, ['localhost', 'new.example']);
    expect(more.caCertPem).toBe(first.caCertPem);
    expect(more.certPem).not.toBe(first.certPem);
    expect(new X509Certificate(more.certPem).subjectAltName).toContain('DNS:new.example');
  });
});
