import type { KubeObject } from '@berth/core';
import { startTestApiServer, type TestApiServer } from '../testing/test-api-server';

type Service = KubeObject & {
  spec: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ports: Array<{ name?: string; port: number; nodePort?: number }>;
  };
};

/**
 * Cluster IPs and node ports through the real API and PostgreSQL, with small ranges so
 * that concurrent creates collide if allocation is not done inside one transaction.
 */
describe('Service cluster IP and node port allocation (real PostgreSQL)', () => {
  let s: TestApiServer;
  const api = () => s.api();
  // 62 usable addresses (127.97.0.1–127.97.0.62), 10 node ports.
  const CIDR = '127.97.0.0/26';
  const NODE_PORTS = { from: 30100, to: 30109 };

  const svc = (name: string, spec: Record<string, unknown> = {}) => ({
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
  });
  const create = (ns: string, body: object) =>
    api().post(`/api/v1/namespaces/${ns}/services`).send(body);
  const get = async (ns: string, name: string): Promise<Service> =>
    (await api().get(`/api/v1/namespaces/${ns}/services/${name}`).expect(200)).body;
  const mergePatch = (ns: string, name: string, body: object) =>
    api()
      .patch(`/api/v1/namespaces/${ns}/services/${name}`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(body);
  const inRange = (ip: string) => {
    const m = /^127\.97\.0\.([0-9]+)$/.exec(ip);
    return !!m && Number(m[1]) >= 1 && Number(m[1]) <= 62;
  };

  beforeAll(async () => {
    s = await startTestApiServer({
      serviceCIDR: CIDR,
      nodePortRange: `${NODE_PORTS.from}-${NODE_PORTS.to}`,
    });
    for (const ns of ['race', 'ips', 'ports', 'upd'])
      await api()
        .post('/api/v1/namespaces')
        .send({ metadata: { name: ns } })
        .expect(201);
  });
  afterAll(() => s?.close());

  it('gives 20 Services created at once 20 different addresses of the range', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create('race', svc(`s${i}`))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ips = results.map((r) => (r.body as Service).spec.clusterIP!);
    expect(new Set(ips).size).toBe(20);
    for (const r of results) {
      const spec = (r.body as Service).spec;
      expect(inRange(spec.clusterIP!)).toBe(true);
      expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    }
    // What is stored is what was answered.
    const listed = (await api().get('/api/v1/namespaces/race/services').expect(200)).body
      .items as Service[];
    expect(listed.map((x) => x.spec.clusterIP).sort()).toEqual([...ips].sort());
  });

  it('checks a requested address, gives headless and ExternalName Services none', async () => {
    const taken = (await get('race', 's0')).spec.clusterIP!;
    const conflict = await create('ips', svc('dup', { clusterIP: taken })).expect(422);
    expect(conflict.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(conflict.body.message).toBe(
      `Service "dup" is invalid: spec.clusterIPs: Invalid value: ["${taken}"]: failed to allocate IP ${taken}: provided IP is already allocated`,
    );
    const outside = await create('ips', svc('out', { clusterIP: '10.0.0.1' })).expect(422);
    expect(outside.body.message).toContain(
      'provided IP is not in the valid range. The range of valid IPs is 127.97.0.0/26',
    );
    const listed = (await api().get('/api/v1/services').expect(200)).body.items as Service[];
    // Any address of the range no Service holds (the API's own `kubernetes` Service in
    // default holds one too, wherever the allocator put it).
    const chosen = Array.from({ length: 62 }, (_, i) => `127.97.0.${62 - i}`).find(
      (ip) => !listed.some((x) => x.spec.clusterIP === ip),
    )!;
    expect(chosen).toBeDefined();
    const asked = await create('ips', svc('asked', { clusterIP: chosen })).expect(201);
    expect(asked.body.spec).toMatchObject({ clusterIP: chosen, clusterIPs: [chosen] });

    const headless = await create('ips', svc('headless', { clusterIP: 'None' })).expect(201);
    expect(headless.body.spec).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'] });
    const external = await create('ips', {
      metadata: { name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'db.example.com' },
    }).expect(201);
    expect(external.body.spec.clusterIP).toBeUndefined();
    // A dry run shows an address but holds none.
    const dry = await api()
      .post('/api/v1/namespaces/ips/services?dryRun=All')
      .send(svc('dry'))
      .expect(201);
    expect(inRange(dry.body.spec.clusterIP)).toBe(true);
    await api().get('/api/v1/namespaces/ips/services/dry').expect(404);
  });

  it('gives NodePort Services distinct node ports cluster-wide, refuses taken ones, frees them on delete', async () => {
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => create('ports', svc(`np${i}`, { type: 'NodePort' }))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(9).fill(201));
    const ports = results.map((r) => (r.body as Service).spec.ports[0].nodePort!);
    expect(new Set(ports).size).toBe(9);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(NODE_PORTS.from);
      expect(p).toBeLessThanOrEqual(NODE_PORTS.to);
    }
    const last = [...Array(10).keys()]
      .map((i) => NODE_PORTS.from + i)
      .find((p) => !ports.includes(p))!;
    // Another namespace asking for a held port.
    const dup = await create(
      'upd',
      svc('dup', { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] }),
    ).expect(422);
    expect(dup.body.message).toBe(
      `Service "dup" is invalid: spec.ports[0].nodePort: Invalid value: ${ports[0]}: provided port is already allocated`,
    );
    const outside = await create(
      'upd',
      svc('out', { type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }),
    ).expect(422);
    expect(outside.body.message).toContain(
      `provided port is not in the valid range. The range of valid ports is ${NODE_PORTS.from}-${NODE_PORTS.to}`,
    );
    // The tenth port, then the range is full.
    const tenth = await create('ports', svc('np9', { type: 'NodePort' })).expect(201);
    expect(tenth.body.spec.ports[0].nodePort).toBe(last);
    const full = await create('ports', svc('np10', { type: 'NodePort' })).expect(422);
    expect(full.body.message).toContain('range is full');
    // Deleting a Service frees its port (and address).
    await api().delete('/api/v1/namespaces/ports/services/np0').expect(200);
    const again = await create(
      'ports',
      svc('np10', { type: 'NodePort', ports: [{ port: 80, nodePort: ports[0] }] }),
    ).expect(201);
    expect(again.body.spec.ports[0].nodePort).toBe(ports[0]);
    await api().delete('/api/v1/namespaces/ports/services/np10').expect(200);
  });

  it('keeps the allocated values on update; a type change allocates or drops node ports', async () => {
    const created = (await create('upd', svc('web')).expect(201)).body as Service;
    const ip = created.spec.clusterIP!;
    // A PUT without clusterIP keeps it (and writes nothing new when nothing else changed).
    const put = await api()
      .put('/api/v1/namespaces/upd/services/web')
      .send({
        metadata: { name: 'web', resourceVersion: created.metadata.resourceVersion },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      })
      .expect(200);
    expect(put.body.spec).toMatchObject({ clusterIP: ip, clusterIPs: [ip] });
    expect(put.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const changed = await mergePatch('upd', 'web', { spec: { clusterIP: '127.97.0.3' } });
    expect(changed.status).toBe(422);
    expect(changed.body.message).toContain('field is immutable');
    // ClusterIP → NodePort: a node port is allocated (one was freed by np10's deletion).
    const np = await mergePatch('upd', 'web', { spec: { type: 'NodePort' } }).expect(200);
    expect(np.body.spec.clusterIP).toBe(ip);
    const nodePort = np.body.spec.ports[0].nodePort as number;
    expect(nodePort).toBeGreaterThanOrEqual(NODE_PORTS.from);
    // Adding a port keeps the first port's node port and allocates none for the second:
    // the range is full, so it is refused whole.
    const more = await mergePatch('upd', 'web', {
      spec: {
        ports: [
          { name: 'http', port: 80 },
          { name: 'alt', port: 8080 },
        ],
      },
    });
    expect(more.status).toBe(422);
    expect(more.body.message).toContain('spec.ports[1].nodePort');
    expect(more.body.message).toContain('range is full');
    expect((await get('upd', 'web')).spec.ports).toEqual([
      expect.objectContaining({ port: 80, nodePort }),
    ]);
    // NodePort → ClusterIP drops the node port, which another Service can then have.
    const back = await mergePatch('upd', 'web', { spec: { type: 'ClusterIP' } });
    expect(back.body.message).toBeUndefined();
    expect(back.body.spec.ports[0].nodePort).toBeUndefined();
    expect(back.body.spec.clusterIP).toBe(ip);
    const other = await create(
      'upd',
      svc('other', { type: 'NodePort', ports: [{ port: 80, nodePort }] }),
    ).expect(201);
    expect(other.body.spec.ports[0].nodePort).toBe(nodePort);
  });
});
