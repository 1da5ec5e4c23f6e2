import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// The machine that runs the tests has no Docker engine: the Dockerfile and
// docker-compose.yml are checked for their structure (what a linter and a reviewer would
// look for), and every file they name is checked to exist.

const ROOT = path.resolve(__dirname, '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(pending);
    if (m) out.push({ op: m[1].toUpperCase(), args: m[2] });
    pending = '';
  }
  return out;
}

interface Stage {
  image: string;
  name?: string;
  body: Instruction[];
}

function stages(list: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of list) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args.trim());
      out.push({ image: m![1], name: m![2], body: [] });
    } else {
      out.at(-1)!.body.push(ins);
    }
  }
  return out;
}

const workspaces: string[] = JSON.parse(read('package.json')).workspaces;

describe('Dockerfile', () => {
  const all = instructions(read('Dockerfile'));
  const [build, runtime, ...more] = stages(all);
  const ops = (s: Stage, op: string) => s.body.filter((i) => i.op === op);

  it('is two named stages from a Node 20 image', () => {
    expect(more).toEqual([]);
    expect(all[0].op).toBe('FROM');
    for (const s of [build, runtime]) {
      expect(s.image).toMatch(/^node:20(-|$)/);
      expect(s.name).toBeTruthy();
    }
  });

  it('installs from the lock file and builds everything, the dashboard included', () => {
    const runs = ops(build, 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm install\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm prune --omit=dev\b/.test(r))).toBe(true);
    // `npm run build` is what builds the dashboard.
    expect(JSON.parse(read('package.json')).scripts.build).toContain('-w @berth/admin');
    // Every workspace's manifest is there for `npm install`, and its build is carried over.
    const copies = ops(build, 'COPY').map((i) => i.args);
    for (const w of workspaces) {
      expect(copies).toContain(`${w}/package.json ./${w}/`);
      expect(runs.join(' ')).toMatch(new RegExp(`for w in [^;]*\\b${w}\\b`));
    }
  });

  it('copies only files that exist (before the whole context)', () => {
    const copies = ops(build, 'COPY').map((i) => i.args.split(/\s+/));
    for (const words of copies) {
      const sources = words.slice(0, -1).filter((w) => !w.startsWith('--'));
      if (sources.join(' ') === '.') continue;
      for (const src of sources)
        expect([src, existsSync(path.join(ROOT, src))]).toEqual([src, true]);
    }
    // The scripts the image carries (the berth command, the compose agent's token helper).
    const run = ops(build, 'RUN')
      .map((i) => i.args)
      .join(' ');
    for (const script of run.match(/scripts\/[\w-]+\.js/g) ?? [])
      expect([script, existsSync(path.join(ROOT, script))]).toEqual([script, true]);
  });

  it('runs as a non-root user, without installing anything at start', () => {
    const users = ops(runtime, 'USER').map((i) => i.args.trim());
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    // What the runtime stage takes from the build is the production output.
    expect(ops(runtime, 'COPY').every((i) => i.args.startsWith('--from=build '))).toBe(true);
    for (const r of ops(runtime, 'RUN')) expect(r.args).not.toMatch(/\bnpm\b/);
    const cmd = ops(runtime, 'CMD');
    expect(cmd).toHaveLength(1);
    const argv = JSON.parse(cmd[0].args);
    expect(argv).toEqual(['node', 'apps/api/dist/main.js']);
    expect(ops(runtime, 'ENTRYPOINT')).toEqual([]);
  });

  it('exposes the API port and checks the API is ready', () => {
    expect(
      ops(runtime, 'EXPOSE')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/\b6443\b/);
    const hc = ops(runtime, 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const m = /\bCMD\s+(\[.*\])$/.exec(hc[0].args);
    const argv = JSON.parse(m![1]);
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).toContain('/readyz');
  });

  it('has a .dockerignore that keeps local state and build output out of the context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['.git', '**/node_modules', '**/dist', '.data']) expect(ignored).toContain(p);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true });
  const services: Record<string, any> = compose.services;
  const berth = ['api', 'worker', 'agent-token', 'agent'];
  const copied = read('Dockerfile').match(/scripts\/[\w-]+\.js/g) ?? [];

  it('has PostgreSQL, Redis and the Berth processes, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['agent', 'agent-token', 'api', 'postgres', 'redis', 'worker'].sort(),
    );
    for (const [name, s] of Object.entries(services)) {
      expect([name, Array.isArray(s.healthcheck?.test)]).toEqual([name, true]);
      expect(['CMD', 'CMD-SHELL']).toContain(s.healthcheck.test[0]);
    }
  });

  it("runs Berth from the Dockerfile's image, installing and building nothing at start", () => {
    for (const name of berth) {
      const s = services[name];
      expect([name, s.build]).toEqual([name, '.']);
      const command = [s.command ?? []].flat().join(' ');
      expect(command).not.toMatch(/\bnpm\b/);
      expect(command).toMatch(/\bnode (apps\/\w+\/dist\/main\.js|scripts\/[\w-]+\.js)/);
      for (const script of command.match(/scripts\/[\w-]+\.js/g) ?? [])
        expect(copied).toContain(script);
      // No bind mount of the checkout: the code is the image's.
      for (const v of s.volumes ?? []) expect(String(v)).not.toMatch(/^\.{1,2}(\/|:)/);
    }
  });

  it('starts each service once what it needs is healthy', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries<any>(s.depends_on ?? {})) {
        expect(Object.keys(services)).toContain(dep);
        expect([name, dep, cond.condition]).toEqual([
          name,
          dep,
          dep === 'agent-token' ? 'service_completed_successfully' : 'service_healthy',
        ]);
      }
    }
    expect(Object.keys(services.api.depends_on).sort()).toEqual(['postgres', 'redis']);
  });

  it("keeps the API's data directory and PostgreSQL's data in named volumes", () => {
    const volumes = Object.keys(compose.volumes);
    const dataDir = services.api.environment.BERTH_DATA_DIR;
    expect(services.api.volumes).toContain(`berth-data:${dataDir}`);
    expect(services.postgres.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    for (const s of Object.values(services))
      for (const v of s.volumes ?? []) expect(volumes).toContain(String(v).split(':')[0]);
    // The volume is documented where operators look.
    expect(read('README.md')).toContain('berth-data');
  });
});
