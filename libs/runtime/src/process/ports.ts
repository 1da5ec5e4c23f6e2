/**
 * Node-local host ports for the process runtime: containers share the node's network, so
 * each declared `containerPort` is published on a free port of a range (by default
 * 40000–44999, clear of Kubernetes' NodePort range 30000–32767). The range lies inside
 * Linux's default ephemeral range (32768–60999), so an outgoing connection may hold one of
 * its ports: each candidate is checked free by binding it briefly.
 */
import net from 'node:net';

export class PortAllocator {
  private readonly reserved = new Set<number>();
  private next: number;

  constructor(private readonly range: [number, number]) {
    if (!(range[0] >= 1 && range[1] <= 65535 && range[0] <= range[1]))
      throw new Error(`invalid port range ${range[0]}-${range[1]}`);
    // Start at a random place so that runtimes sharing a host rarely race for a port.
    this.next = range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
  }

  /** Marks a port as taken (a re-adopted container keeps its ports). */
  reserve(port: number): void {
    this.reserved.add(port);
  }

  release(port: number): void {
    this.reserved.delete(port);
  }

  /**
   * Exactly `port` (a pod's `hostPort`, which may lie outside the range), reserved until
   * {@link release}; an error saying why when another pod here or another program has it.
   */
  async claim(port: number): Promise<number> {
    if (this.reserved.has(port))
      throw new Error(`host port ${port} is already held by another pod on this node`);
    this.reserved.add(port);
    if (await isFree(port)) return port;
    this.reserved.delete(port);
    throw new Error(`host port ${port} is in use on this node by a process Berth does not run`);
  }

  /** A free port of the range, reserved until {@link release}. */
  async allocate(): Promise<number> {
    const [lo, hi] = this.range;
    const size = hi - lo + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.next;
      this.next = port >= hi ? lo : port + 1;
      if (this.reserved.has(port)) continue;
      this.reserved.add(port); // before the await: concurrent allocations skip it
      if (await isFree(port)) return port;
      this.reserved.delete(port);
    }
    throw new Error(`no free port left in ${lo}-${hi}`);
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
