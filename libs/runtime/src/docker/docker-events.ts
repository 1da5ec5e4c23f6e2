/**
 * Docker's event stream for containers with a Berth label, re-opened when it breaks, and a
 * periodic resync (an inspect of every container) that also covers events lost meanwhile.
 */
import type Docker from 'dockerode';
import type { IncomingMessage } from 'node:http';
import type { RuntimeLogger } from '../types';
import { LABELS } from './container-config';
import { message, type DockerEvent } from './docker-model';

export class DockerEvents {
  private watching = false;
  private closed = false;
  private stream?: NodeJS.ReadableStream;
  private timer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;

  constructor(
    private readonly docker: Docker,
    private readonly opts: { eventsRetryMs: number; resyncIntervalMs: number; log: RuntimeLogger },
    private readonly on: { event(e: DockerEvent): void; resync(): void },
  ) {}

  /** Follows the events and resyncs periodically (once). */
  start(): void {
    if (this.watching || this.closed) return;
    this.watching = true;
    void this.open();
    this.resyncTimer = setInterval(() => this.on.resync(), this.opts.resyncIntervalMs);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.resyncTimer);
    (this.stream as IncomingMessage | undefined)?.destroy?.();
    this.stream = undefined;
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.getEvents({
        filters: { type: ['container'], label: [LABELS.podUID] },
      });
    } catch (err) {
      this.opts.log.warn('docker: cannot follow the event stream, retrying', {
        error: message(err),
      });
      this.timer = setTimeout(() => void this.open(), this.opts.eventsRetryMs);
      return;
    }
    if (this.closed) {
      (stream as IncomingMessage).destroy?.();
      return;
    }
    this.stream = stream;
    // Whatever happened while the stream was not open.
    this.on.resync();
    let buffered = '';
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        let event: DockerEvent;
        try {
          event = JSON.parse(line) as DockerEvent;
        } catch {
          this.opts.log.debug('docker: unreadable event', { line });
          continue;
        }
        this.on.event(event);
      }
    });
    let ended = false;
    const reopen = () => {
      if (ended) return;
      ended = true;
      if (this.stream === stream) this.stream = undefined;
      if (this.closed) return;
      this.opts.log.warn('docker: the event stream ended, re-opening it');
      this.timer = setTimeout(() => void this.open(), this.opts.eventsRetryMs);
    };
    stream.on('end', reopen);
    stream.on('close', reopen);
    stream.on('error', reopen);
  }
}
