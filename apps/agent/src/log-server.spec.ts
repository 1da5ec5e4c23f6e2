import { generateKeyPairSync, sign } from 'node:crypto';
import { verifyKubeletToken } from './log-server';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

function token(claims: object, key = privateKey): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${sign(null, Buffer.from(payload), key).toString('base64url')}`;
}

const claims = { node: 'n1', namespace: 'a', pod: 'web', uid: 'u', container: 'c', exp: 2000 };

describe('verifyKubeletToken', () => {
  it('accepts a token the API key signed, before it expires', () => {
    expect(verifyKubeletToken(token(claims), publicKey, 1_999_000)).toEqual(claims);
  });

  it('refuses expired tokens, other keys, altered claims and garbage', () => {
    expect(verifyKubeletToken(token(claims), publicKey, 2_001_000)).toBeUndefined();
    expect(verifyKubeletToken(token(claims, other.privateKey), publicKey, 0)).toBeUndefined();
    const [, sig] = token(claims).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, pod: 'db' })).toString('base64url');
    expect(verifyKubeletToken(`${forged}.${sig}`, publicKey, 0)).toBeUndefined();
    for (const junk of ['', 'abc', 'a.b.c', `${token(claims)}.x`])
      expect(verifyKubeletToken(junk, publicKey, 0)).toBeUndefined();
  });
});
