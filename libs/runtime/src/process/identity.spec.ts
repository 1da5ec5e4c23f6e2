import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  containerIdentity,
  parseUidRange,
  podIdentity,
  setprivArgs,
  UidAllocator,
} from './identity';

describe('pod uid allocation', () => {
  let tmp: string;
  let claims: string;
  let ownerA: string;
  let ownerB: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-uids-'));
    claims = path.join(tmp, 'claims');
    ownerA = path.join(tmp, 'agent-a');
    ownerB = path.join(tmp, 'agent-b');
    mkdirSync(ownerA);
    mkdirSync(ownerB);
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('parses a range and refuses bad ones', () => {
    expect(parseUidRange('200000-265535')).toEqual([200000, 265535]);
    expect(parseUidRange(' 5-5 ')).toEqual([5, 5]);
    for (const bad of ['', '0-10', '10-5', 'a-b', '100', '1-4294967295'])
      expect(() => parseUidRange(bad)).toThrow(/FIRST-LAST/);
  });

  it('gives every pod its own uid within the range, until the range is used up', () => {
    const a = new UidAllocator([1000, 1009], claims, ownerA);
    const uids = Array.from({ length: 10 }, (_, i) => a.allocate(`pod-${i}`));
    expect(new Set(uids).size).toBe(10);
    for (const u of uids) expect(u >= 1000 && u <= 1009).toBe(true);
    expect(() => a.allocate('pod-10')).toThrow('no free pod uid in 1000-1009');
    // The claims directory is the agent's only.
    expect(statSync(claims).mode & 0o777).toBe(0o700);
  });

  it('frees a uid only for the pod that holds it, and hands it out again', () => {
    const a = new UidAllocator([1000, 1001], claims, ownerA);
    const first = a.allocate('p1');
    const second = a.allocate('p2');
    a.release(first, 'p2'); // not p2's: kept
    expect(() => a.allocate('p3')).toThrow(/no free pod uid/);
    a.release(first, 'p1');
    expect(a.allocate('p3')).toBe(first);
    expect(second).not.toBe(first);
  });

  it('never hands one uid to pods of two runtimes sharing the host', () => {
    const a = new UidAllocator([1000, 1019], claims, ownerA);
    const b = new UidAllocator([1000, 1019], claims, ownerB);
    const got = [];
    for (let i = 0; i < 10; i++) got.push(a.allocate(`a-${i}`), b.allocate(`b-${i}`));
    expect(new Set(got).size).toBe(20);
    expect(() => a.allocate('a-x')).toThrow(/no free pod uid/);
    // b's claims are not a's to take or free.
    expect(a.claim(got[1], 'a-x')).toBe(false);
    a.release(got[1], 'b-0');
    expect(readdirSync(claims)).toHaveLength(20);
  });

  it('keeps a claim across a restart of the same runtime (re-adoption), and prunes what it no longer runs', () => {
    const before = new UidAllocator([1000, 1009], claims, ownerA);
    const kept = before.allocate('kept');
    const gone = before.allocate('gone');
    // A new runtime on the same state directory.
    const after = new UidAllocator([1000, 1009], claims, ownerA);
    expect(after.claim(kept, 'kept')).toBe(true);
    after.prune(new Set(['kept']));
    expect(readdirSync(claims).map(Number)).toEqual([kept]);
    // The pruned uid is free again; the kept one is not.
    const other = new UidAllocator([1000, 1009], claims, ownerB);
    expect(other.claim(kept, 'x')).toBe(false);
    expect(other.claim(gone, 'x')).toBe(true);
  });

  it("takes over a stale claim (its runtime's state directory is gone)", () => {
    const a = new UidAllocator([1000, 1000], claims, ownerA);
    const uid = a.allocate('p');
    rmSync(ownerA, { recursive: true });
    const b = new UidAllocator([1000, 1000], claims, ownerB);
    expect(b.allocate('q')).toBe(uid);
  });
});

describe('pod and container identities', () => {
  const next = () => 200_123;
  it('allocates unless the pod names a user; the group follows the user', () => {
    expect(podIdentity(undefined, next)).toEqual({ uid: 200_123, gid: 200_123, allocated: true });
    expect(podIdentity({ runAsGroup: 5000 }, next)).toEqual({
      uid: 200_123,
      gid: 5000,
      allocated: true,
    });
    expect(podIdentity({ runAsUser: 1000 }, next)).toEqual({
      uid: 1000,
      gid: 1000,
      allocated: false,
    });
    expect(podIdentity({ runAsUser: 1000, runAsGroup: 0 }, next)).toEqual({
      uid: 1000,
      gid: 0,
      allocated: false,
    });
  });

  it("lets the container's securityContext win over the pod's", () => {
    const pod = { uid: 200_123, gid: 200_123, allocated: true };
    expect(containerIdentity(pod, undefined, undefined)).toEqual({
      agent: false,
      uid: 200_123,
      gid: 200_123,
    });
    expect(containerIdentity(pod, { runAsGroup: 7 }, { runAsUser: 1001 })).toEqual({
      agent: false,
      uid: 1001,
      gid: 7,
    });
    expect(containerIdentity(pod, { runAsGroup: 7 }, { runAsUser: 1001, runAsGroup: 8 })).toEqual({
      agent: false,
      uid: 1001,
      gid: 8,
    });
    expect(containerIdentity(pod, undefined, { runAsUser: 1001 })).toEqual({
      agent: false,
      uid: 1001,
      gid: 1001,
    });
    expect(containerIdentity(pod, undefined, { privileged: true, runAsUser: 5 })).toEqual({
      agent: true,
    });
  });

  it('drops every capability and sets no_new_privs', () => {
    expect(setprivArgs({ uid: 1, gid: 2 }, '/bin/x', ['-a'])).toEqual([
      '--reuid=1',
      '--regid=2',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
      '/bin/x',
      '-a',
    ]);
  });
});
