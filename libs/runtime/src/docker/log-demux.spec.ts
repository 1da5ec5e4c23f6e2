import type { Readable } from 'node:stream';
import { DockerLogDemuxer, dockerFrame } from './log-demux';

function read(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    stream.on('data', (b: Buffer) => (out += b.toString()));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

describe('DockerLogDemuxer', () => {
  it('splits frames that arrive in arbitrary pieces', async () => {
    const bytes = Buffer.concat([
      dockerFrame(1, 'hello '),
      dockerFrame(2, 'stderr '),
      dockerFrame(1, 'world\n'),
    ]);
    const demux = new DockerLogDemuxer();
    const done = read(demux);
    for (let i = 0; i < bytes.length; i += 3) demux.write(bytes.subarray(i, i + 3));
    demux.end();
    expect(await done).toBe('hello stderr world\n');
  });

  it('passes output that is not multiplexed (a TTY container) through', async () => {
    const demux = new DockerLogDemuxer();
    const done = read(demux);
    demux.end(Buffer.from('plain text\n'));
    expect(await done).toBe('plain text\n');
  });
});
