/** Shared by the resources int-specs: objects to create, and what every error must look like. */
import { startTestApiServer, type TestApiServer } from './test-api-server';

export const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export function deployment(name: string, image = 'nginx:1.25', replicas = 2) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              ports: [{ containerPort: 80 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

export function pod(name: string, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  };
}

/** Every error must be a Kubernetes Status with the given code. */
export function expectStatus(
  res: { status: number; body: Record<string, unknown> },
  code: number,
  reason?: string,
) {
  expect(res.status).toBe(code);
  expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  if (reason) expect(res.body.reason).toBe(reason);
  expect(typeof res.body.message).toBe('string');
}

/** A real API server on a fresh database with the `apps` namespace the specs work in. */
export async function startResourcesTestServer(): Promise<TestApiServer> {
  const t = await startTestApiServer();
  await t.api().post('/api/v1/namespaces').send(ns('apps')).expect(201);
  return t;
}
