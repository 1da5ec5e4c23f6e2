/** One listening address of the node proxy: retried while in use, its accept errors logged. */
import net from 'node:net';
import type { Logger } from '../log';

/** One listening address. */
export class Frontend {
  private server?: net.Server;
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private announcedWaiting = false;
  state: 'opening' | 'listening' | 'waiting' = 'opening';

  constructor(
    readonly address: string,
    readonly port: number,
    /** The Service port it serves (may change when the address is reused). */
    public servicePort: string,
    private readonly onConnection: (frontend: Frontend, socket: net.Socket) => void,
    private readonly retryMs: number,
    private readonly log: Logger,
  ) {}

  get key(): string {
    return `${this.address}:${this.port}`;
  }

  open(): void {
    if (this.closed) return;
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) =>
      this.onConnection(this, socket),
    );
    this.server = server;
    server.once('listening', () => {
      if (this.closed) return void server.close();
      this.state = 'listening';
      this.log.info(
        this.announcedWaiting ? 'took over the service address' : 'listening for the service',
        { service: this.servicePort, address: this.key },
      );
      this.announcedWaiting = false;
      // Accept errors (EMFILE/ENFILE: out of descriptors) leave the server listening;
      // libuv drops the connection it could not take. Logged at most every 10 s.
      let loggedAt = 0;
      server.on('error', (err: NodeJS.ErrnoException) => {
        const now = Date.now();
        if (now - loggedAt < 10_000) return;
        loggedAt = now;
        this.log.warn('service listener failed', {
          service: this.servicePort,
          address: this.key,
          error: err.code ?? err.message,
        });
      });
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (this.state === 'listening') return;
      this.state = 'waiting';
      this.server = undefined;
      if (!this.announcedWaiting) {
        this.announcedWaiting = true;
        const fields = {
          service: this.servicePort,
          address: this.key,
          error: err.code ?? err.message,
          retryMs: this.retryMs,
        };
        if (err.code === 'EADDRINUSE')
          this.log.info('service address in use (another agent on this host serves it?)', fields);
        else this.log.warn('cannot listen on the service address', fields);
      }
      if (!this.closed) this.retryTimer = setTimeout(() => this.open(), this.retryMs);
    });
    server.listen({ host: this.address, port: this.port });
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.server?.close();
    this.server = undefined;
  }
}
