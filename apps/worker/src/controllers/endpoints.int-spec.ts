import { eventually, startTestCluster, type TestCluster } from '../testing/test-cluster';

const NS = 'ep';

function pod(name: string) {
  return {
    metadata: { name, labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  };
}

// The endpoints controller on the real PostgreSQL, Redis and BullMQ: a Service's Endpoints
// follow the pods it selects — their addresses and readiness, written here as a kubelet
// would — and go away with the Service; hand-made Endpoints of selector-less Services stay.
describe('endpoints controller (real PostgreSQL, Redis, BullMQ)', () => {
  let c: TestCluster;
  const api = () => c.api.api();
  const setStatus = (name: string, ip: string, ready: boolean) =>
    api()
      .patch(`/api/v1/namespaces/${NS}/pods/${name}/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({
        status: {
          phase: 'Running',
          podIP: ip,
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        },
      })
      .expect(200);
  const endpoints = async () => {
    const res = await api().get(`/api/v1/namespaces/${NS}/endpoints/web`);
    if (res.status !== 200) return undefined;
    const subset = (res.body.subsets ?? [])[0] ?? {};
    const ips = (list?: Array<{ ip: string }>) =>
      (list ?? [])
        .map((a) => a.ip)
        .sort()
        .join(',');
    return {
      ready: ips(subset.addresses),
      notReady: ips(subset.notReadyAddresses),
      ports: JSON.stringify(subset.ports ?? []),
    };
  };

  beforeAll(async () => {
    c = await startTestCluster(1);
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: NS } })
      .expect(201);
  });

  afterAll(async () => {
    await c?.close();
  });

  it('lists ready pods as addresses, unready ones apart, and follows changes', async () => {
    await api()
      .post(`/api/v1/namespaces/${NS}/services`)
      .send({
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      })
      .expect(201);
    for (const name of ['a', 'b'])
      await api().post(`/api/v1/namespaces/${NS}/pods`).send(pod(name)).expect(201);
    await setStatus('a', '127.0.0.11', true);
    await setStatus('b', '127.0.0.12', false);
    await eventually(async () => {
      const e = await endpoints();
      return e?.ready === '127.0.0.11' && e.notReady === '127.0.0.12' ? e : undefined;
    }, 'a ready, b not ready');
    expect((await endpoints())?.ports).toBe(
      JSON.stringify([{ name: 'http', port: 8080, protocol: 'TCP' }]),
    );

    await setStatus('b', '127.0.0.12', true);
    await eventually(
      async () => (await endpoints())?.ready === '127.0.0.11,127.0.0.12',
      'both ready',
    );
    await api().delete(`/api/v1/namespaces/${NS}/pods/a`).expect(200);
    await eventually(
      async () => (await endpoints())?.ready === '127.0.0.12',
      'a gone from the endpoints',
    );
  });

  it('deletes the Endpoints with the Service, and leaves hand-made ones alone', async () => {
    await api()
      .post(`/api/v1/namespaces/${NS}/services`)
      .send({ metadata: { name: 'external' }, spec: { ports: [{ port: 5432 }] } })
      .expect(201);
    await api()
      .post(`/api/v1/namespaces/${NS}/endpoints`)
      .send({
        metadata: { name: 'external' },
        subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432 }] }],
      })
      .expect(201);
    await api().delete(`/api/v1/namespaces/${NS}/services/web`).expect(200);
    await eventually(async () => (await endpoints()) === undefined, 'the Endpoints of web deleted');
    const external = await api().get(`/api/v1/namespaces/${NS}/endpoints/external`).expect(200);
    expect(external.body.subsets[0].addresses[0].ip).toBe('192.0.2.10');
  });
});
