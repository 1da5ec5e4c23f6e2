import type { KubeObject } from '../api/types';
import { defaultPullPolicy, podDefinition, podQOSClass } from './index';

function pod(spec: Record<string, unknown>, rest: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' },
    spec,
    ...rest,
  };
}

const web = { name: 'web', image: 'nginx:1.25' };

describe('Pod defaults', () => {
  it('fills the defaults Kubernetes fills', () => {
    const out = podDefinition.applyDefaults(
      pod({
        containers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: '500m', memory: '128Mi' } },
            readinessProbe: { httpGet: { port: 80 } },
            env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          },
        ],
        volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'cfg' } }],
      }),
    );
    expect(out.spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: {
            limits: { cpu: '500m', memory: '128Mi' },
            requests: { cpu: '500m', memory: '128Mi' },
          },
          readinessProbe: {
            httpGet: { port: 80, path: '/', scheme: 'HTTP' },
            timeoutSeconds: 1,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
          env: [
            {
              name: 'NODE',
              valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } },
            },
          ],
        },
      ],
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
    });
    expect(out.status).toEqual({ phase: 'Pending', qosClass: 'Guaranteed' });
  });

  it('never mutates its input and keeps explicit values', () => {
    const input = pod({
      containers: [{ ...web, imagePullPolicy: 'Never' }],
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 0,
    });
    const snapshot = JSON.stringify(input);
    const out = podDefinition.applyDefaults(input);
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(out.spec).toMatchObject({
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 0,
      containers: [{ imagePullPolicy: 'Never', resources: {} }],
    });
  });

  it('treats empty enum strings as unset', () => {
    const out = podDefinition.applyDefaults(
      pod({ containers: [{ ...web, imagePullPolicy: '' }], restartPolicy: '' }),
    );
    expect(out.spec).toMatchObject({
      restartPolicy: 'Always',
      containers: [{ imagePullPolicy: 'IfNotPresent' }],
    });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:abcd', 'IfNotPresent'],
  ])('image %s pulls %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it('computes the QoS class', () => {
    expect(podQOSClass({ containers: [web] })).toBe('BestEffort');
    expect(
      podQOSClass({ containers: [{ ...web, resources: { requests: { cpu: '100m' } } }] }),
    ).toBe('Burstable');
    expect(
      podQOSClass({
        containers: [
          {
            ...web,
            resources: {
              requests: { cpu: '1', memory: '1Gi' },
              limits: { cpu: '1000m', memory: '1Gi' },
            },
          },
        ],
      }),
    ).toBe('Guaranteed');
    expect(
      podQOSClass({
        containers: [
          {
            ...web,
            resources: {
              requests: { cpu: '500m', memory: '1Gi' },
              limits: { cpu: '1', memory: '1Gi' },
            },
          },
        ],
      }),
    ).toBe('Burstable');
  });
});
