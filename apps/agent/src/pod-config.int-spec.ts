import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeObject } from '@berth/core';
import {
  eventually,
  startTestCluster,
  type TestCluster,
} from '../../worker/src/testing/test-cluster';
import { startAgent, type RunningAgent } from './agent';
import { loadAgentConfig, type AgentConfig } from './config';
import { agentLogger } from './log';

type Pod = KubeObject & {
  status?: {
    phase?: string;
    containerStatuses?: Array<{ state: { waiting?: { reason: string; message: string } } }>;
  };
};

const NODE = 'cfg-1';

describe('the agent resolves containers env as the kubelet does (process runtime, real API)', () => {
  let c: TestCluster;
  let dataDir: string;
  let agent: RunningAgent | undefined;
  const api = () => c.api.api();
  const getPod = async (name: string): Promise<Pod> =>
    (await api().get(`/api/v1/namespaces/w/pods/${name}`).expect(200)).body;

  beforeAll(async () => {
    c = await startTestCluster(1);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-pod-config-'));
    // `default` exists from the API's first start; `w` is this test's.
    await api()
      .post('/api/v1/namespaces')
      .send({ metadata: { name: 'w' } })
      .expect(201);
    const bootstrapToken = (await api().post('/auth/bootstrap-tokens').send({}).expect(201)).body
      .token;
    const config: AgentConfig = {
      ...loadAgentConfig([], {}),
      apiUrl: c.api.server.httpUrl!,
      bootstrapToken,
      nodeName: NODE,
      dataDir,
      nodeIP: '127.0.0.1',
      kubeletPort: 0,
      runtime: 'process',
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      heartbeatIntervalMs: 250,
      podsDir: `${dataDir}-pods`,
      volumeRefreshMs: 300,
      logLevel: (process.env.BERTH_TEST_LOG as 'debug' | undefined) ?? 'warn',
    };
    agent = startAgent(config, agentLogger(config));
  });

  afterAll(async () => {
    await agent?.stop();
    await c?.close();
    if (dataDir) {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}-pods`, { recursive: true, force: true });
    }
  });

  it('gives fieldRef, resourceFieldRef, $(VAR) and service link variables; env is final', async () => {
    const svc = await api()
      .post('/api/v1/namespaces/w/services')
      .send({ metadata: { name: 'web-front' }, spec: { ports: [{ port: 8080 }] } })
      .expect(201);
    const clusterIP = svc.body.spec.clusterIP as string;
    const print = 'console.log(JSON.stringify(process.env))';
    await api()
      .post('/api/v1/namespaces/w/pods')
      .send({
        metadata: { name: 'envs', labels: { app: 'demo' }, annotations: { team: 'blue' } },
        spec: {
          nodeName: NODE,
          restartPolicy: 'Never',
          containers: [
            {
              name: 'app',
              image: 'node',
              command: [process.execPath, '-e', print],
              env: [
                { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                {
                  name: 'MY_APP',
                  valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } },
                },
                {
                  name: 'MY_TEAM',
                  valueFrom: { fieldRef: { fieldPath: "metadata.annotations['team']" } },
                },
                { name: 'MY_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'MY_HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
                {
                  name: 'CPU_LIMIT',
                  valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } },
                },
                { name: 'GREETING', value: 'hi-$(MY_NAME)' },
                { name: 'LITERAL', value: '$$(MY_NAME)' },
                {
                  name: 'OPTIONAL',
                  valueFrom: { configMapKeyRef: { name: 'absent', key: 'k', optional: true } },
                },
              ],
            },
          ],
        },
      })
      .expect(201);
    await eventually(async () => (await getPod('envs')).status?.phase === 'Succeeded', 'envs done');
    const log = await api().get('/api/v1/namespaces/w/pods/envs/log').expect(200);
    const env = JSON.parse(log.text.trim()) as Record<string, string>;
    const kubernetes = (
      await api().get('/api/v1/namespaces/default/services/kubernetes').expect(200)
    ).body;
    expect(env).toMatchObject({
      MY_NAME: 'envs',
      MY_NS: 'w',
      MY_APP: 'demo',
      MY_TEAM: 'blue',
      MY_NODE: NODE,
      MY_IP: '127.0.0.1',
      MY_HOST: '127.0.0.1',
      CPU_LIMIT: '4',
      GREETING: 'hi-envs',
      LITERAL: '$(MY_NAME)',
      WEB_FRONT_SERVICE_HOST: clusterIP,
      WEB_FRONT_SERVICE_PORT: '8080',
      // The API's own `kubernetes` Service in default, as in-cluster clients find it.
      KUBERNETES_SERVICE_HOST: kubernetes.spec.clusterIP,
      KUBERNETES_SERVICE_PORT: '443',
    });
    expect(env.OPTIONAL).toBeUndefined();
  }, 60_000);

  it('reports a missing ConfigMap as CreateContainerConfigError, with the kubelet message', async () => {
    await api()
      .post('/api/v1/namespaces/w/pods')
      .send({
        metadata: { name: 'needs-config' },
        spec: {
          nodeName: NODE,
          containers: [
            {
              name: 'app',
              image: 'busybox',
              args: ['/bin/sh', '-c', 'sleep 30'],
              env: [{ name: 'DB', valueFrom: { configMapKeyRef: { name: 'missing', key: 'db' } } }],
            },
          ],
        },
      })
      .expect(201);
    const waiting = await eventually(async () => {
      const w = (await getPod('needs-config')).status?.containerStatuses?.[0]?.state.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 'CreateContainerConfigError reported');
    expect(waiting.message).toBe('configmap "missing" not found');
    expect((await getPod('needs-config')).status?.phase).toBe('Pending');
    await api().delete('/api/v1/namespaces/w/pods/needs-config?gracePeriodSeconds=0');
  }, 60_000);

  it('mounts downwardAPI and emptyDir volumes at their mountPath, and refreshes the files when the pod changes', async () => {
    const mnt = `${dataDir}-mnt`;
    // Prints the label file and what it wrote to the emptyDir whenever they change.
    const watcher = `
      const fs = require('fs');
      let last = '';
      setInterval(() => {
        let now;
        try {
          fs.writeFileSync('${mnt}/scratch/x', 'scratch-ok');
          now = fs.readFileSync('${mnt}/podinfo/labels', 'utf8').replace(/\\n/g, ';') + '|' +
            fs.readFileSync('${mnt}/podinfo/name', 'utf8') + '|' + fs.readFileSync('${mnt}/scratch/x', 'utf8');
        } catch (e) { now = e.code; }
        if (now !== last) console.log(now);
        last = now;
      }, 100);`;
    await api()
      .post('/api/v1/namespaces/w/pods')
      .send({
        metadata: { name: 'files', labels: { tier: 'one' } },
        spec: {
          nodeName: NODE,
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'app',
              image: 'node',
              command: [process.execPath, '-e', watcher],
              volumeMounts: [
                { name: 'podinfo', mountPath: `${mnt}/podinfo`, readOnly: true },
                { name: 'scratch', mountPath: `${mnt}/scratch` },
              ],
            },
          ],
          volumes: [
            {
              name: 'podinfo',
              downwardAPI: {
                items: [
                  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                  { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                ],
              },
            },
            { name: 'scratch', emptyDir: {} },
          ],
        },
      })
      .expect(201);
    const logs = async () => (await api().get('/api/v1/namespaces/w/pods/files/log')).text ?? '';
    await eventually(
      async () => (await logs()).includes('tier="one"|files|scratch-ok'),
      'the files read at their mountPath',
    );
    await api()
      .patch('/api/v1/namespaces/w/pods/files')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { tier: 'two' } } })
      .expect(200);
    await eventually(
      async () => (await logs()).includes('tier="two"|files|scratch-ok'),
      'the label file refreshed',
    );
    await api().delete('/api/v1/namespaces/w/pods/files');
    rmSync(mnt, { recursive: true, force: true });
  }, 60_000);
});
