import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTenantUser, startCluster, type Cluster, type TenantUser } from './support/cluster';
import {
  ROOT,
  startApiProcess,
  waitFor,
  type ApiProcess,
  type JsonBody,
} from './support/processes';

// In-cluster clients, as Kubernetes gives them: every pod gets its service account's token
// (the `kube-api-access-…` projected volume the admission adds), the CA bundle that verifies
// the API (`kube-root-ca.crt`, kept in every namespace by the worker) and its namespace at
// /var/run/secrets/kubernetes.io/serviceaccount, and reaches the API at
// KUBERNETES_SERVICE_HOST:PORT (the `kubernetes` Service's cluster IP, served by the node's
// proxy). A pod running @kubernetes/client-node's `loadFromCluster()` lists its own
// namespace's pods and is refused another tenant's.

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
// A service range of this file's own, so the `kubernetes` Service's address (the range's
// first) is no other cluster's on this host.
const CIDR = `127.${200 + randomInt(50)}.${randomInt(256)}.0/24`;
const asRoot = process.getuid?.() === 0;
// Containers see their volumes at their mountPath only in a mount namespace (root).
const rootIt = asRoot ? it : it.skip;

describe('in-cluster clients: service account token volumes and kube-root-ca.crt', () => {
  let cluster: Cluster;
  let alice: TenantUser;
  let bob: TenantUser;
  let replica: ApiProcess | undefined;
  const caOf = (dataDir: string) => readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const configMap = (ns: string) =>
    cluster.call('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
  const pod = (ns: string, name: string) =>
    cluster.call('GET', `/api/v1/namespaces/${ns}/pods/${name}`);

  beforeAll(async () => {
    cluster = await startCluster({
      name: 'incluster',
      nodes: ['ic-node'],
      api: { env: { BERTH_SERVICE_CIDR: CIDR } },
    });
    alice = await createTenantUser(cluster.api, cluster.work, {
      username: 'alice',
      tenant: 'team-a',
      namespaces: ['a1'],
    });
    bob = await createTenantUser(cluster.api, cluster.work, {
      username: 'bob',
      tenant: 'team-b',
      namespaces: ['b1'],
    });
  }, 120_000);

  afterAll(async () => {
    await replica?.stop();
    await cluster?.stop();
  });

  it('keeps kube-root-ca.crt with the API CA in every namespace, and restores it', async () => {
    const ca = caOf(cluster.api.dataDir).trim();
    // a1 got it with the namespace; `default` and `kube-node-lease` were made before the API
    // published its CA: the worker's publisher made theirs.
    for (const ns of ['a1', 'b1', 'default', 'kube-node-lease']) {
      await waitFor(async () => Boolean(await configMap(ns)), `kube-root-ca.crt in ${ns}`, 30_000);
      expect(((await configMap(ns)).data['ca.crt'] as string).trim()).toBe(ca);
    }
    // The tenant may edit or delete it; the publisher puts it back.
    const deleted = cluster.kAs(
      alice.kubeconfig,
      'delete',
      'configmap',
      'kube-root-ca.crt',
      '-n',
      'a1',
    );
    expect(deleted.code).toBe(0);
    await waitFor(
      async () => ((await configMap('a1')).data['ca.crt'] as string).trim() === ca,
      'kube-root-ca.crt made again in a1',
      30_000,
    );
    const edited = cluster.kAs(
      bob.kubeconfig,
      'patch',
      'configmap',
      'kube-root-ca.crt',
      '-n',
      'b1',
      '--type=merge',
      '-p',
      '{"data":{"ca.crt":"not a CA","extra":"x"}}',
    );
    expect(edited.code).toBe(0);
    await waitFor(
      async () => {
        const data = (await configMap('b1')).data as Record<string, string>;
        return data['ca.crt'].trim() === ca && Object.keys(data).length === 1;
      },
      'kube-root-ca.crt put back in b1',
      30_000,
    );
  }, 90_000);

  it('adds the kube-api-access volume to pods, unless automountServiceAccountToken is false', async () => {
    const apply = (name: string, extra: string) =>
      cluster.kAs(
        alice.kubeconfig,
        'run',
        name,
        '-n',
        'a1',
        '--image=node:20',
        '--restart=Never',
        `--overrides={"spec":{${extra}}}`,
        '--command',
        '--',
        process.execPath,
        '-e',
        `setTimeout(() => {}, 1e9) // ${cluster.marker}`,
      );
    expect(apply('mounted', '"terminationGracePeriodSeconds":1').code).toBe(0);
    expect(apply('unmounted', '"automountServiceAccountToken":false').code).toBe(0);
    const spec = (await pod('a1', 'mounted')).spec as JsonBody;
    const volume = (spec.volumes as JsonBody[]).find((v) =>
      /^kube-api-access-[a-z0-9]{5}$/.test(v.name),
    );
    expect(volume).toEqual({
      name: volume?.name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          {
            downwardAPI: {
              items: [
                {
                  path: 'namespace',
                  fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
                },
              ],
            },
          },
        ],
      },
    });
    expect(spec.containers[0].volumeMounts).toEqual([
      { name: volume?.name, readOnly: true, mountPath: MOUNT },
    ]);
    const off = (await pod('a1', 'unmounted')).spec as JsonBody;
    expect(off.volumes ?? []).toEqual([]);
    expect(off.containers[0].volumeMounts ?? []).toEqual([]);
    // An account that turns it off: its pods get none (a pod saying true would).
    cluster.kAs(alice.kubeconfig, 'create', 'serviceaccount', 'quiet', '-n', 'a1');
    cluster.kAs(
      alice.kubeconfig,
      'patch',
      'serviceaccount',
      'quiet',
      '-n',
      'a1',
      '-p',
      '{"automountServiceAccountToken":false}',
    );
    expect(apply('quiet', '"serviceAccountName":"quiet"').code).toBe(0);
    expect(((await pod('a1', 'quiet')).spec as JsonBody).volumes ?? []).toEqual([]);
  }, 60_000);

  rootIt(
    'lets a pod use its token with @kubernetes/client-node loadFromCluster: its namespace, not another tenant’s',
    async () => {
      // What the pod's account may do: read the pods of a1 (nothing elsewhere).
      const as = (...args: string[]) => cluster.kAs(alice.kubeconfig, ...args);
      expect(
        as('create', 'role', 'pod-reader', '-n', 'a1', '--verb=get,list', '--resource=pods').code,
      ).toBe(0);
      expect(
        as(
          'create',
          'rolebinding',
          'pod-reader',
          '-n',
          'a1',
          '--role=pod-reader',
          '--serviceaccount=a1:default',
        ).code,
      ).toBe(0);
      const script = path.join(ROOT, 'e2e/support/in-cluster.mjs');
      const run = as(
        'run',
        'client',
        '-n',
        'a1',
        '--image=node:20',
        '--restart=Never',
        '--command',
        '--',
        process.execPath,
        script,
        'b1',
        cluster.marker,
      );
      expect(run.code).toBe(0);
      let phase = '';
      await waitFor(
        async () => {
          phase = ((await pod('a1', 'client')).status as JsonBody).phase;
          return phase === 'Succeeded' || phase === 'Failed';
        },
        'the client pod to finish',
        60_000,
      );
      const logs = as('logs', '-n', 'a1', 'client');
      expect(logs.code).toBe(0);
      const report = JSON.parse(logs.stdout.trim().split('\n').at(-1)!) as JsonBody;
      const service = (await cluster.call('GET', '/api/v1/namespaces/default/services/kubernetes'))
        .spec as JsonBody;
      expect(report).toEqual({
        server: `${service.clusterIP}:443`,
        files: ['token', 'ca.crt', 'namespace'],
        namespace: 'a1',
        ownPods: expect.arrayContaining(['client', 'mounted']),
        otherStatus: expect.any(Number),
      });
      expect(service.clusterIP).toBe(CIDR.replace(/0\/24$/, '1'));
      expect([403, 404]).toContain(report.otherStatus);
      expect(phase).toBe('Succeeded');
    },
    120_000,
  );
  // Last: a second replica joins the kubernetes Service's endpoints, which a pod mounting the
  // bundle of the moment would not verify while the bundle is being updated.
  it('bundles the CA of every API replica, each with TLS material of its own', async () => {
    replica = await startApiProcess({ replicaOf: cluster.api, env: { BERTH_SERVICE_CIDR: CIDR } });
    const cas = [caOf(cluster.api.dataDir), caOf(replica.dataDir)].map((c) => c.trim());
    expect(cas[0]).not.toBe(cas[1]);
    await waitFor(
      async () => {
        const bundle = (await configMap('a1')).data['ca.crt'] as string;
        return cas.every((c) => bundle.includes(c));
      },
      "both replicas' CAs in a1's kube-root-ca.crt",
      30_000,
    );
  }, 60_000);
});
