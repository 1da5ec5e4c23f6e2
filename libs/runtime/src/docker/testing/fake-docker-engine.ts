/**
 * A fake Docker Engine for tests: an HTTP server on a unix socket implementing the part of
 * the Engine API the docker runtime uses (as documented for API v1.43+), with containers
 * that only change state when the test says so. Every request is recorded, so a test can
 * assert what the runtime sent; `exit`, `writeLog` and friends play the containers' part.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dockerFrame } from '../log-demux';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}

export interface FakeContainer {
  id: string;
  name: string;
  created: number;
  config: any;
  labels: Record<string, string>;
  state: {
    Status: 'created' | 'running' | 'exited';
    Running: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Pid: number;
  };
  ports: Record<string, Array<{ HostIp: string; HostPort: string }>>;
  logs: Array<{ stream: 1 | 2; text: string; at: string }>;
  followers: Set<{ res: http.ServerResponse; stdout: boolean; stderr: boolean; ts: boolean }>;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export class FakeDockerEngine {
  readonly requests: RecordedRequest[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly images = new Set<string>();
  /** image → the error a pull of it fails with (404 before the stream, like Docker). */
  readonly pullErrors = new Map<string, string>();
  /** Called when a container starts (a test may make it exit or write logs). */
  onStart?: (c: FakeContainer) => void;
  /** The answer of an exec: its exit code and output. */
  onExec?: (c: FakeContainer, cmd: string[]) => { exitCode: number; output?: string };
  /** The host port Docker "chooses" for a published port. */
  chooseHostPort: (containerPort: number) => number = () => this.nextPort++;
  private nextPort = 32768;
  private readonly eventStreams = new Set<{ res: http.ServerResponse; labels: string[] }>();
  private readonly execs = new Map<
    string,
    { container: string; cmd: string[]; exitCode?: number }
  >();
  private readonly server: http.Server;
  private readonly failures: Array<{
    method: string;
    path: RegExp;
    status: number;
    message: string;
  }> = [];

  constructor(readonly socketPath: string) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://docker');
        const text = Buffer.concat(chunks).toString();
        let body: any = undefined;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const path = url.pathname.replace(/^\/v1\.\d+/, '');
        const request = { method: req.method ?? 'GET', path, query: url.searchParams, body };
        this.requests.push(request);
        try {
          this.handle(request, res);
        } catch (err) {
          json(res, 500, { message: (err as Error).message });
        }
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    for (const s of this.eventStreams) s.res.end();
    for (const c of this.containers.values()) for (const f of c.followers) f.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  address(): string | AddressInfo | null {
    return this.server.address();
  }

  /** The next request matching method and path fails with this status and message. */
  failNext(method: string, path: RegExp, status: number, message: string): void {
    this.failures.push({ method, path, status, message });
  }

  /** Requests matching method and a path pattern. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  find(ref: string): FakeContainer | undefined {
    const name = ref.replace(/^\//, '');
    for (const c of this.containers.values())
      if (c.id === ref || c.name === name || (ref.length >= 12 && c.id.startsWith(ref))) return c;
    return undefined;
  }

  /** The container of a pod container (by labels), newest first. */
  byLabels(podUID: string, container: string): FakeContainer[] {
    return [...this.containers.values()]
      .filter(
        (c) =>
          c.labels['berth.dev/pod-uid'] === podUID && c.labels['berth.dev/container'] === container,
      )
      .sort((a, b) => b.created - a.created);
  }

  /** The container's process ends (`oomKilled`: the kernel killed it for memory). */
  exit(id: string, exitCode: number, opts: { oomKilled?: boolean; error?: string } = {}): void {
    const c = this.containers.get(id)!;
    if (!c.state.Running) return;
    c.state = {
      ...c.state,
      Status: 'exited',
      Running: false,
      Pid: 0,
      ExitCode: exitCode,
      OOMKilled: !!opts.oomKilled,
      Error: opts.error ?? '',
      FinishedAt: nanoTime(),
    };
    for (const f of c.followers) f.res.end();
    c.followers.clear();
    if (opts.oomKilled) this.emit(c, 'oom');
    this.emit(c, 'die', { exitCode: String(exitCode) });
  }

  writeLog(id: string, stream: 1 | 2, text: string): void {
    const c = this.containers.get(id)!;
    const line = { stream, text, at: nanoTime() };
    c.logs.push(line);
    for (const f of c.followers)
      if ((stream === 1 && f.stdout) || (stream === 2 && f.stderr))
        f.res.write(dockerFrame(stream, (f.ts ? `${line.at} ` : '') + text));
  }

  /** Ends every open event stream (as an engine restart would). */
  dropEventStreams(): void {
    for (const s of this.eventStreams) s.res.end();
    this.eventStreams.clear();
  }

  get eventStreamCount(): number {
    return this.eventStreams.size;
  }

  // ---- the API -------------------------------------------------------------------------

  private handle(r: RecordedRequest, res: http.ServerResponse): void {
    const m = (re: RegExp) => re.exec(r.path);
    let g: RegExpExecArray | null;
    const failure = this.failures.findIndex((f) => f.method === r.method && f.path.test(r.path));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return json(res, f.status, { message: f.message });
    }
    if (r.path === '/_ping') return text(res, 200, 'OK');
    if (r.path === '/version')
      return json(res, 200, { Version: '27.0.0-fake', ApiVersion: '1.46', Os: 'linux' });
    if (r.method === 'GET' && r.path === '/events') return this.events(r, res);
    if (r.method === 'GET' && r.path === '/containers/json') return this.list(r, res);
    if (r.method === 'POST' && r.path === '/containers/create') return this.create(r, res);
    if (r.method === 'POST' && r.path === '/images/create') return this.pull(r, res);
    if (r.method === 'GET' && (g = m(/^\/images\/(.+)\/json$/))) {
      const name = withTag(decodeURIComponent(g[1]));
      if (this.images.has(name))
        return json(res, 200, { Id: `sha256:${hash(name)}`, RepoTags: [name] });
      return json(res, 404, { message: `No such image: ${name}` });
    }
    if ((g = m(/^\/exec\/([^/]+)\/(start|json)$/))) return this.execOp(g[1], g[2], res);
    if ((g = m(/^\/containers\/([^/]+)(?:\/([a-z]+))?$/))) {
      const c = this.find(decodeURIComponent(g[1]));
      if (!c) return json(res, 404, { message: `No such container: ${g[1]}` });
      return this.containerOp(c, r.method, g[2] ?? '', r, res);
    }
    json(res, 404, { message: `page not found: ${r.method} ${r.path}` });
  }

  private create(r: RecordedRequest, res: http.ServerResponse): void {
    const name = r.query.get('name') ?? '';
    const body = r.body ?? {};
    if (!this.images.has(withTag(body.Image)))
      return json(res, 404, { message: `No such image: ${withTag(body.Image)}` });
    if (name && this.find(name))
      return json(res, 409, {
        message: `Conflict. The container name "/${name}" is already in use by container "${this.find(name)!.id}".`,
      });
    const id = randomBytes(32).toString('hex');
    const c: FakeContainer = {
      id,
      name: name || `fake_${id.slice(0, 6)}`,
      created: Date.now() + this.containers.size / 1000,
      config: body,
      labels: body.Labels ?? {},
      state: {
        Status: 'created',
        Running: false,
        OOMKilled: false,
        ExitCode: 0,
        Error: '',
        StartedAt: ZERO_TIME,
        FinishedAt: ZERO_TIME,
        Pid: 0,
      },
      ports: {},
      logs: [],
      followers: new Set(),
    };
    this.containers.set(id, c);
    this.emit(c, 'create');
    json(res, 201, { Id: id, Warnings: [] });
  }

  private containerOp(
    c: FakeContainer,
    method: string,
    op: string,
    r: RecordedRequest,
    res: http.ServerResponse,
  ): void {
    if (method === 'GET' && op === 'json') return json(res, 200, this.inspect(c));
    if (method === 'POST' && op === 'start') {
      if (c.state.Running) return empty(res, 304);
      c.state = { ...c.state, Status: 'running', Running: true, Pid: 4242, StartedAt: nanoTime() };
      c.ports = {};
      for (const [key, bindings] of Object.entries<any[]>(c.config.HostConfig?.PortBindings ?? {}))
        c.ports[key] = bindings.map((b) => ({
          HostIp: b.HostIp || '0.0.0.0',
          HostPort: b.HostPort || String(this.chooseHostPort(Number(key.split('/')[0]))),
        }));
      this.emit(c, 'start');
      empty(res, 204);
      this.onStart?.(c);
      return;
    }
    if (method === 'POST' && (op === 'stop' || op === 'kill')) {
      if (!c.state.Running) return empty(res, op === 'stop' ? 304 : 409);
      this.emit(c, 'kill', { signal: op === 'stop' ? '15' : '9' });
      this.exit(c.id, op === 'stop' ? 143 : 137);
      if (op === 'stop') this.emit(c, 'stop');
      return empty(res, 204);
    }
    if (method === 'POST' && op === 'rename') {
      const name = r.query.get('name') ?? '';
      const other = this.find(name);
      if (other && other !== c)
        return json(res, 409, {
          message: `Conflict. The container name "/${name}" is already in use`,
        });
      c.name = name;
      this.emit(c, 'rename');
      return empty(res, 204);
    }
    if (method === 'DELETE' && op === '') {
      if (c.state.Running && r.query.get('force') !== 'true')
        return json(res, 409, {
          message: `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`,
        });
      if (c.state.Running) this.exit(c.id, 137);
      this.containers.delete(c.id);
      this.emit(c, 'destroy');
      return empty(res, 204);
    }
    if (method === 'GET' && op === 'logs') return this.logs(c, r, res);
    if (method === 'POST' && op === 'exec') {
      if (!c.state.Running) return json(res, 409, { message: `Container ${c.id} is not running` });
      const id = randomBytes(16).toString('hex');
      this.execs.set(id, { container: c.id, cmd: r.body?.Cmd ?? [] });
      return json(res, 201, { Id: id });
    }
    json(res, 404, { message: `page not found: ${method} ${r.path}` });
  }

  private inspect(c: FakeContainer): any {
    return {
      Id: c.id,
      Name: `/${c.name}`,
      Created: new Date(c.created).toISOString(),
      Image: `sha256:${hash(withTag(c.config.Image))}`,
      State: { ...c.state, Paused: false, Restarting: false, Dead: false },
      Config: {
        Image: c.config.Image,
        Labels: c.labels,
        Env: c.config.Env ?? [],
        Entrypoint: c.config.Entrypoint ?? null,
        Cmd: c.config.Cmd ?? null,
        WorkingDir: c.config.WorkingDir ?? '',
        ExposedPorts: c.config.ExposedPorts ?? {},
      },
      HostConfig: c.config.HostConfig ?? {},
      NetworkSettings: {
        Ports: c.state.Running ? c.ports : {},
        Networks: c.state.Running
          ? { bridge: { IPAddress: '172.17.0.2', Gateway: '172.17.0.1' } }
          : { bridge: { IPAddress: '', Gateway: '' } },
      },
    };
  }

  private list(r: RecordedRequest, res: http.ServerResponse): void {
    const filters = JSON.parse(r.query.get('filters') ?? '{}') as { label?: string[] };
    const all = r.query.get('all') === 'true' || r.query.get('all') === '1';
    const out = [...this.containers.values()]
      .filter((c) => all || c.state.Running)
      .filter((c) => matchesLabels(c.labels, filters.label ?? []))
      .map((c) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        Image: c.config.Image,
        Created: Math.floor(c.created / 1000),
        Labels: c.labels,
        State: c.state.Status,
        Status: c.state.Running ? 'Up' : `Exited (${c.state.ExitCode})`,
      }));
    json(res, 200, out);
  }

  private logs(c: FakeContainer, r: RecordedRequest, res: http.ServerResponse): void {
    const q = r.query;
    const stdout = q.get('stdout') === 'true';
    const stderr = q.get('stderr') === 'true';
    const ts = q.get('timestamps') === 'true';
    const since = Number(q.get('since') ?? 0);
    let lines = c.logs.filter(
      (l) =>
        ((l.stream === 1 && stdout) || (l.stream === 2 && stderr)) &&
        Date.parse(l.at) / 1000 >= since,
    );
    const tail = q.get('tail');
    if (tail && tail !== 'all') lines = lines.slice(Math.max(0, lines.length - Number(tail)));
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
    res.flushHeaders();
    for (const l of lines) res.write(dockerFrame(l.stream, (ts ? `${l.at} ` : '') + l.text));
    if (q.get('follow') === 'true' && c.state.Running) {
      const f = { res, stdout, stderr, ts };
      c.followers.add(f);
      res.on('close', () => c.followers.delete(f));
    } else res.end();
  }

  private pull(r: RecordedRequest, res: http.ServerResponse): void {
    const image = `${r.query.get('fromImage')}:${r.query.get('tag') ?? 'latest'}`;
    const error = this.pullErrors.get(image);
    if (error) return json(res, 404, { message: error });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(
      JSON.stringify({
        status: `Pulling from ${r.query.get('fromImage')}`,
        id: r.query.get('tag'),
      }) + '\n',
    );
    res.write(
      JSON.stringify({
        status: 'Downloading',
        progressDetail: { current: 1, total: 2 },
        id: 'abc',
      }) + '\n',
    );
    res.write(JSON.stringify({ status: `Status: Downloaded newer image for ${image}` }) + '\n');
    this.images.add(image);
    res.end();
  }

  private execOp(id: string, op: string, res: http.ServerResponse): void {
    const e = this.execs.get(id);
    if (!e) return json(res, 404, { message: `No such exec instance: ${id}` });
    if (op === 'json')
      return json(res, 200, {
        ID: id,
        Running: e.exitCode === undefined,
        ExitCode: e.exitCode ?? null,
      });
    const c = this.containers.get(e.container)!;
    const answer = this.onExec?.(c, e.cmd) ?? { exitCode: 0 };
    e.exitCode = answer.exitCode;
    res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
    if (answer.output) res.write(dockerFrame(1, answer.output));
    res.end();
  }

  private events(r: RecordedRequest, res: http.ServerResponse): void {
    const filters = JSON.parse(r.query.get('filters') ?? '{}') as { label?: string[] };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const s = { res, labels: filters.label ?? [] };
    this.eventStreams.add(s);
    res.on('close', () => this.eventStreams.delete(s));
  }

  private emit(c: FakeContainer, action: string, extra: Record<string, string> = {}): void {
    const event = {
      Type: 'container',
      Action: action,
      status: action,
      id: c.id,
      from: c.config.Image,
      Actor: {
        ID: c.id,
        Attributes: { ...c.labels, image: c.config.Image, name: c.name, ...extra },
      },
      scope: 'local',
      time: Math.floor(Date.now() / 1000),
      timeNano: Date.now() * 1_000_000,
    };
    for (const s of this.eventStreams)
      if (matchesLabels(c.labels, s.labels)) s.res.write(JSON.stringify(event) + '\n');
  }
}

function matchesLabels(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? w in labels : labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

function withTag(image: string): string {
  const slash = image.lastIndexOf('/');
  return image.slice(slash + 1).includes(':') || image.includes('@') ? image : `${image}:latest`;
}

function hash(s: string): string {
  return Buffer.from(s).toString('hex').padEnd(64, '0').slice(0, 64);
}

function nanoTime(): string {
  return new Date().toISOString().replace('Z', '123456Z');
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' });
  res.end(body);
}

function empty(res: http.ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}
