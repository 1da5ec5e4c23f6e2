import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InstanceLog, rfc3339Nano } from './log-files';

describe('InstanceLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-log-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const lines = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => `line ${from + i} ${'x'.repeat(20)}\n`).join('');

  it('gives each line the time recorded for its bytes, and reads a tail from the end of big files', () => {
    const file = path.join(dir, '0.log');
    const first = lines(0, 5000); // ~150 KiB: more than one 64 KiB chunk
    writeFileSync(file, first);
    const second = lines(5000, 5003) + 'partial';
    appendFileSync(file, second);
    const firstEnd = Buffer.byteLength(first);
    writeFileSync(
      `${file}.idx`,
      `${firstEnd} 1000\n${firstEnd + Buffer.byteLength(second)} 2000\n`,
    );
    const log = new InstanceLog(dir, 0, 10 * 1024 * 1024, 2);

    const all = log.read(true);
    expect(all.lines).toHaveLength(5004);
    expect(all.lines[0]).toEqual({ ms: 1000, text: `line 0 ${'x'.repeat(20)}` });
    expect(all.lines[4999].ms).toBe(1000);
    expect(all.lines[5000].ms).toBe(2000);
    expect(all.lines[5003]).toEqual({ ms: 2000, text: 'partial' });

    const tail = log.read(false, 4);
    expect(tail.lines.map((l) => [l.text.split(' ')[1], l.ms])).toEqual([
      ['4999', 1000],
      ['5000', 2000],
      ['5001', 2000],
      ['5002', 2000],
    ]);
    // Following goes on from the last complete line.
    expect(tail.completeBytes).toBe(firstEnd + Buffer.byteLength(lines(5000, 5003)));
    expect(all.completeBytes).toBe(tail.completeBytes);
  });

  it('reads a tail across rotated files, newest last', () => {
    const file = path.join(dir, '3.log');
    writeFileSync(`${file}.2`, lines(0, 3));
    writeFileSync(`${file}.1`, lines(3, 6));
    writeFileSync(file, lines(6, 8));
    const log = new InstanceLog(dir, 3, 1024, 2);
    const texts = (n?: number) => log.read(true, n).lines.map((l) => Number(l.text.split(' ')[1]));
    expect(texts()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(texts(5)).toEqual([3, 4, 5, 6, 7]);
    expect(texts(7)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(texts(0)).toEqual([]);
  });

  it('formats RFC 3339 times with nanoseconds', () => {
    expect(rfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 67))).toBe('2026-01-02T03:04:05.067000000Z');
  });
});
