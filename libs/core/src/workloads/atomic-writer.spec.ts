import { cleanPath, planAtomicWrite, timestampDirName, validatePath } from './atomic-writer';
import type { VolumeFile } from './volume-files';

const f = (path: string, content: string, mode = 0o644): VolumeFile => ({
  path,
  content: Buffer.from(content),
  mode,
});
const now = new Date('2024-05-01T12:03:04.5Z');

describe('atomic writer plan', () => {
  it('names directories like the kubelet (UTC timestamp + MkdirTemp suffix)', () => {
    expect(timestampDirName(now, '123456789')).toBe('..2024_05_01_12_03_04.123456789');
  });

  it('a first write creates everything and links each top-level entry', () => {
    const r = planAtomicWrite(
      undefined,
      [f('b/c.txt', 'c'), f('a.txt', 'a'), f('b/d/e', 'e')],
      now,
      '1',
    );
    expect(r).toEqual({
      ok: true,
      plan: {
        upToDate: false,
        newDataDir: '..2024_05_01_12_03_04.1',
        directories: ['b', 'b/d'],
        files: [f('a.txt', 'a'), f('b/c.txt', 'c'), f('b/d/e', 'e')],
        createLinks: ['a.txt', 'b'],
        removedPaths: [],
        removeLinks: [],
      },
    });
  });

  it('same contents: nothing to do (a mode change alone is not written, as in the kubelet)', () => {
    const current = { dataDir: '..old', files: [f('a', 'x'), f('b/c', 'y')] };
    const r = planAtomicWrite(current, [f('b/c', 'y'), f('a', 'x', 0o400)], now, '2');
    expect(r.ok && r.plan).toMatchObject({
      upToDate: true,
      newDataDir: '..old',
      files: [],
      createLinks: [],
    });
  });

  it('an update writes a new directory, links new names, unlinks vanished ones, drops the old directory', () => {
    const current = {
      dataDir: '..old',
      files: [f('keep', '1'), f('gone', '2'), f('dir/x', '3'), f('dir/sub/y', '4')],
    };
    const r = planAtomicWrite(
      current,
      [f('keep', '1'), f('dir/x', 'changed'), f('new', '5')],
      now,
      '3',
    );
    expect(r.ok && r.plan).toEqual({
      upToDate: false,
      newDataDir: '..2024_05_01_12_03_04.3',
      directories: ['dir'],
      files: [f('dir/x', 'changed'), f('keep', '1'), f('new', '5')],
      createLinks: ['new'],
      removedPaths: ['dir/sub', 'dir/sub/y', 'gone'],
      removeLinks: ['gone'],
      removeDataDir: '..old',
    });
  });

  it('a removal alone is a change', () => {
    const current = { dataDir: '..old', files: [f('a', '1'), f('b', '2')] };
    const r = planAtomicWrite(current, [f('a', '1')], now, '4');
    expect(r.ok && r.plan).toMatchObject({
      upToDate: false,
      removeLinks: ['b'],
      removeDataDir: '..old',
    });
  });

  it('rejects bad paths and file/directory clashes', () => {
    expect(planAtomicWrite(undefined, [f('../x', '')], now, '5')).toEqual({
      ok: false,
      error: "invalid path: must not contain '..': ../x",
    });
    expect(planAtomicWrite(undefined, [f('a', ''), f('a/b', '')], now, '5')).toEqual({
      ok: false,
      error: 'invalid payload: a is both a file and a directory',
    });
  });

  it.each([
    ['a/b', undefined],
    ['..a', "invalid path: must not start with '..': ..a"],
    ['a/..b', undefined],
    ['..', "invalid path: must not contain '..': .."],
    ['x/'.repeat(2049), 'invalid path: must be less than or equal to 4096 characters'],
  ])('validatePath(%j)', (p, out) => {
    expect(validatePath(p)).toBe(out);
  });
});

describe('cleanPath (path.Clean)', () => {
  it.each([
    ['a/b', 'a/b'],
    ['a//b/', 'a/b'],
    ['./a/./b', 'a/b'],
    ['a/b/../c', 'a/c'],
    ['a/../..', '..'],
    ['', '.'],
    ['/../a', '/a'],
  ])('%j → %j', (p, out) => {
    expect(cleanPath(p)).toBe(out);
  });
});
