import { createHash } from 'node:crypto';
import { Database } from './database';
import { IdentityRepository } from './identity.repository';
import { createTestDatabase, type TestDatabase } from './testing';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('IdentityRepository (real PostgreSQL)', () => {
  let db: TestDatabase;
  let database: Database;
  let repo: IdentityRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    database = new Database(db.url, 2);
    repo = new IdentityRepository(database);
  });

  afterAll(async () => {
    await database.close();
    await db.drop();
  });

  it('creates users with unique names and updates them', async () => {
    const alice = await repo.createUser({ username: 'alice', passwordHash: 'h1' });
    expect(alice).toMatchObject({ username: 'alice', clusterAdmin: false, disabled: false });
    expect(alice.passwordChangedAt).toBeInstanceOf(Date);
    await expect(repo.createUser({ username: 'alice' })).rejects.toMatchObject({
      code: 'AlreadyExists',
    });
    const updated = await repo.updateUser('alice', { clusterAdmin: true, passwordHash: 'h2' });
    expect(updated).toMatchObject({ clusterAdmin: true, passwordHash: 'h2' });
    await expect(repo.updateUser('nobody', { disabled: true })).rejects.toMatchObject({
      code: 'NotFound',
    });
  });

  it('finds a credential only by its secret hash, with its user, and revokes it', async () => {
    const bob = await repo.createUser({ username: 'bob' });
    const cred = await repo.createCredential({
      kind: 'token',
      name: 'ci',
      userId: bob.id,
      tenant: 'team-a',
      role: 'viewer',
      secretHash: sha('secret-1'),
    });
    expect(cred).not.toHaveProperty('secretHash');
    const found = await repo.findCredential(sha('secret-1'));
    expect(found?.credential).toMatchObject({ id: cred.id, tenant: 'team-a', role: 'viewer' });
    expect(found?.user?.username).toBe('bob');
    expect(await repo.findCredential(sha('secret-2'))).toBeNull();

    expect(await repo.revokeCredential(cred.id)).toBe(true);
    const first = (await repo.getCredential(cred.id))!.revokedAt;
    expect(first).toBeInstanceOf(Date);
    expect(await repo.revokeCredential(cred.id)).toBe(true); // idempotent
    expect((await repo.getCredential(cred.id))!.revokedAt).toEqual(first);
    expect(await repo.revokeCredential('00000000-0000-4000-8000-000000000000')).toBe(false);
  });

  it('revokes all live node credentials of a node and cascades user deletion', async () => {
    await repo.createCredential({ kind: 'node', nodeName: 'n1', secretHash: sha('n1-a') });
    await repo.createCredential({ kind: 'node', nodeName: 'n1', secretHash: sha('n1-b') });
    await repo.createCredential({ kind: 'node', nodeName: 'n2', secretHash: sha('n2-a') });
    expect(await repo.revokeNodeCredentials('n1')).toBe(2);
    expect((await repo.findCredential(sha('n2-a')))!.credential.revokedAt).toBeNull();

    const carol = await repo.createUser({ username: 'carol' });
    await repo.createCredential({ kind: 'token', userId: carol.id, secretHash: sha('c') });
    await repo.deleteUser('carol');
    expect(await repo.findCredential(sha('c'))).toBeNull();
  });
});
