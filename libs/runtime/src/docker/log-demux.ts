/**
 * Docker's multiplexed log and attach stream: for a container without a TTY, every chunk
 * of output comes in a frame of an 8-byte header — byte 0 the stream (0 stdin, 1 stdout,
 * 2 stderr), bytes 1–3 zero, bytes 4–7 the payload length (big-endian) — and the payload.
 * `kubectl logs` shows stdout and stderr interleaved, so both payloads go to one output.
 */
import { Transform, type TransformCallback } from 'node:stream';

export class DockerLogDemuxer extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  /** Set when the input turns out not to be multiplexed (a TTY container): pass it through. */
  private raw = false;

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.raw) {
      this.push(data);
      done();
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    while (this.pending.length >= 8) {
      const kind = this.pending[0];
      if (kind > 2 || this.pending[1] !== 0 || this.pending[2] !== 0 || this.pending[3] !== 0) {
        this.raw = true;
        this.push(this.pending);
        this.pending = Buffer.alloc(0);
        break;
      }
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) break;
      this.push(this.pending.subarray(8, 8 + length));
      this.pending = this.pending.subarray(8 + length);
    }
    done();
  }

  override _flush(done: TransformCallback) {
    // A truncated last frame (the engine went away mid-frame): keep what arrived.
    if (this.pending.length > 8) this.push(this.pending.subarray(8));
    else if (this.pending.length && this.pending[0] > 2) this.push(this.pending);
    this.pending = Buffer.alloc(0);
    done();
  }
}

/** Frames `payload` as Docker does (tests and fakes). */
export function dockerFrame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
