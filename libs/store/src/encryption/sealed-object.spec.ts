import { KeyRing } from './key-ring';
import {
  SEALED_FIELD,
  isSealedObject,
  openObject,
  sealObject,
  storageContext,
} from './sealed-object';

const k1 = { name: 'k1', secret: Buffer.alloc(32, 1) };
const k2 = { name: 'k2', secret: Buffer.alloc(32, 2) };
const ctx = storageContext('secrets', 'shop', 'db');
const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: 'db',
    namespace: 'shop',
    uid: '0b6b2c1e-0000-4000-8000-000000000001',
    resourceVersion: '12',
    creationTimestamp: '2024-05-01T12:00:00Z',
    labels: { app: 'shop' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'ServiceAccount', name: 'sa', uid: 'u-2' }],
    annotations: {
      'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"password":"hunter2"}}',
    },
    managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:data': { 'f:password': {} } } }],
  },
  type: 'Opaque',
  data: { password: Buffer.from('hunter2').toString('base64') },
};

describe('sealed objects', () => {
  it('keep only the metadata SQL reads in clear; the rest, annotations included, is encrypted', () => {
    const stored = sealObject(new KeyRing([k1]), secret, ctx);
    expect(Object.keys(stored).sort()).toEqual(['apiVersion', SEALED_FIELD, 'kind', 'metadata']);
    expect(stored.metadata).toEqual({
      name: 'db',
      namespace: 'shop',
      uid: secret.metadata.uid,
      resourceVersion: '12',
      creationTimestamp: '2024-05-01T12:00:00Z',
      labels: { app: 'shop' },
      ownerReferences: secret.metadata.ownerReferences,
    });
    const text = JSON.stringify(stored);
    for (const leak of ['hunter2', secret.data.password, 'f:password', 'last-applied', 'Opaque'])
      expect(text).not.toContain(leak);
    expect(Buffer.from(stored[SEALED_FIELD] as string, 'base64').toString('latin1')).toMatch(
      /^k8s:enc:aesgcm:v1:k1:/,
    );
    expect(isSealedObject(stored)).toBe(true);
    expect(isSealedObject(secret)).toBe(false);
  });

  it('open to the original object, with the resourceVersion the store set in clear', () => {
    const ring = new KeyRing([k1]);
    const stored = sealObject(ring, secret, ctx);
    expect(openObject(ring, stored, ctx)).toEqual({ object: secret, stale: false });
    // The store's jsonb_set of metadata.resourceVersion on the clear part.
    const bumped = {
      ...stored,
      metadata: { ...(stored.metadata as object), resourceVersion: '13' },
    };
    const { object } = openObject(ring, bumped, ctx);
    expect(object).toEqual({ ...secret, metadata: { ...secret.metadata, resourceVersion: '13' } });
  });

  it('open only for the key they were written for, and under a ring that has the key', () => {
    const stored = sealObject(new KeyRing([k1]), secret, ctx);
    expect(() =>
      openObject(new KeyRing([k1]), stored, storageContext('secrets', 'shop', 'other')),
    ).toThrow(/failed authentication/);
    expect(openObject(new KeyRing([k2, k1]), stored, ctx).stale).toBe(true);
    expect(() => openObject(new KeyRing([k2]), stored, ctx)).toThrow(
      /key "k1", which is not configured/,
    );
  });

  it('plaintext rows open only when the ring allows it, and are stale', () => {
    expect(() => openObject(new KeyRing([k1]), secret, ctx)).toThrow(/not encrypted/);
    expect(openObject(new KeyRing([k1], { allowPlaintextReads: true }), secret, ctx)).toEqual({
      object: secret,
      stale: true,
    });
  });

  it('a tampered clear label does not change the decrypted object', () => {
    const ring = new KeyRing([k1]);
    const stored = sealObject(ring, secret, ctx);
    const forged = {
      ...stored,
      metadata: { ...(stored.metadata as object), labels: { app: 'evil' } },
    };
    expect((openObject(ring, forged, ctx).object.metadata as { labels: unknown }).labels).toEqual({
      app: 'shop',
    });
  });
});
