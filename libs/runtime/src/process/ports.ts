/**
 * Node-local host ports for the process runtime: containers share the node's network, so
 * each declared `containerPort` is published on a free port of a range (by default
 * 40000–44999, clear of Kubernetes' NodePort range 30000–32767). The range lies inside
 * Linux's default ephemeral range (32768–60999), so an outgoing connection may hold one of
 * its ports: each candidate is checked free by binding it briefly.
 */
import net from 'node:net';
import type { ContainerSpec } from '../types';

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

/**
 * Gives every declared port of a pod's containers a node port. They are handed to the
 * containers only once all are there and the pod is still wanted (false otherwise), so that
 * a stopPod meanwhile frees nothing twice.
 */
export async function allocatePodPorts(
  ports: PortAllocator,
  containers: Array<{ spec: ContainerSpec; hostPorts: Record<number, number> }>,
  stillWanted: () => boolean,
): Promise<boolean> {
  const allocated: Array<{
    c: (typeof containers)[number];
    containerPort: number;
    hostPort: number;
  }> = [];
  const release = () => allocated.forEach((a) => ports.release(a.hostPort));
  try {
    for (const c of containers)
      for (const port of c.spec.ports ?? [])
        if (
          c.hostPorts[port.containerPort] === undefined &&
          !allocated.some((a) => a.c === c && a.containerPort === port.containerPort)
        )
          allocated.push({
            c,
            containerPort: port.containerPort,
            // A hostPort is published on that very port; others on one of the range.
            hostPort: port.hostPort ? await ports.claim(port.hostPort) : await ports.allocate(),
          });
  } catch (e) {
    release();
    throw e;
  }
  if (!stillWanted()) {
    release();
    return false;
  }
  for (const a of allocated) a.c.hostPorts[a.containerPort] = a.hostPort;
  return true;
}
