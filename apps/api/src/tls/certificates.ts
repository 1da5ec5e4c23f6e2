import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
  /** Where the files live (ca.crt, ca.key, apiserver.crt, apiserver.key). */
  dir: string;
}

function newKeyPair(): {
  privateKeyPem: string;
  publicKey: forge.pki.PublicKey;
  privateKey: forge.pki.PrivateKey;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { privateKeyPem, publicKey, privateKey: forgeKey };
}

function serial(): string {
  // Positive, 16 bytes.
  return '01' + randomBytes(15).toString('hex');
}

function createCa(): { certPem: string; keyPem: string } {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
  const attrs = [{ name: 'commonName', value: 'berth-ca' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function createServing(
  caCertPem: string,
  caKeyPem: string,
  sans: string[],
): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(caCertPem);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem) as forge.pki.rsa.PrivateKey;
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: 'berth-apiserver' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: sans.map((san) => (isIP(san) ? { type: 7, ip: san } : { type: 2, value: san })),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function coversAll(certPem: string, sans: string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (new Date(cert.validTo).getTime() < Date.now() + 7 * 24 * 3600 * 1000) return false;
    const listed = (cert.subjectAltName ?? '')
      .split(',')
      .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''));
    return sans.every((s) => listed.includes(s));
  } catch {
    return false;
  }
}

/**
 * Loads the cluster CA and the API server's serving certificate from `dataDir/pki`,
 * creating them on first start (and re-issuing the serving certificate when a name is
 * missing from it or it is about to expire). Go's TLS (kubectl) requires SANs.
 */
export function ensureTlsMaterial(dataDir: string, sans: string[]): TlsMaterial {
  const dir = path.join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = (name: string) => path.join(dir, name);
  if (!existsSync(file('ca.crt')) || !existsSync(file('ca.key'))) {
    const ca = createCa();
    writeFileSync(file('ca.key'), ca.keyPem, { mode: 0o600 });
    writeFileSync(file('ca.crt'), ca.certPem);
  }
  const caCertPem = readFileSync(file('ca.crt'), 'utf8');
  const caKeyPem = readFileSync(file('ca.key'), 'utf8');
  const unique = [...new Set(sans)];
  if (
    !existsSync(file('apiserver.crt')) ||
    !existsSync(file('apiserver.key')) ||
    !coversAll(readFileSync(file('apiserver.crt'), 'utf8'), unique)
  ) {
    const serving = createServing(caCertPem, caKeyPem, unique);
    writeFileSync(file('apiserver.key'), serving.keyPem, { mode: 0o600 });
    writeFileSync(file('apiserver.crt'), serving.certPem);
  }
  return {
    caCertPem,
    certPem: readFileSync(file('apiserver.crt'), 'utf8'),
    keyPem: readFileSync(file('apiserver.key'), 'utf8'),
    dir,
  };
}
