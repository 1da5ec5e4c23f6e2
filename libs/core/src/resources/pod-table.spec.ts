import type { KubeObject } from '../api/types';
import { podDefinition } from './index';

const now = new Date('2024-05-01T12:00:00Z');

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

describe('Pod table', () => {
  const row = (o: KubeObject) => podDefinition.table.row(o, now);
  const running = (
    status: Record<string, unknown>,
    spec: Record<string, unknown> = { containers: [web] },
  ) => pod(spec, { status: { phase: 'Running', ...status } });

  it('has kubectl columns', () => {
    expect(podDefinition.table.columns.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(podDefinition.table.columns[0]).toMatchObject({ type: 'string', format: 'name' });
  });

  it('prints a pending pod', () => {
    expect(row(pod({ containers: [web] }, { status: { phase: 'Pending' } }))).toEqual([
      'web',
      '0/1',
      'Pending',
      '0',
      '60m',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
  });

  it('prints a running pod', () => {
    const o = running(
      {
        podIP: '10.0.0.5',
        podIPs: [{ ip: '10.0.0.5' }],
        containerStatuses: [
          {
            name: 'web',
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: '2024-05-01T11:00:05Z' } },
          },
        ],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
      { containers: [web], nodeName: 'node-1' },
    );
    expect(row(o)).toEqual([
      'web',
      '1/1',
      'Running',
      '0',
      '60m',
      '10.0.0.5',
      'node-1',
      '<none>',
      '<none>',
    ]);
  });

  it('prints container waiting reasons and restarts with the last restart age', () => {
    const o = running({
      containerStatuses: [
        {
          name: 'web',
          ready: false,
          restartCount: 4,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:58:00Z' } },
        },
      ],
    });
    expect(row(o).slice(1, 4)).toEqual(['0/1', 'CrashLoopBackOff', '4 (2m ago)']);
  });

  it('prints terminated reasons and exit codes', () => {
    expect(
      row(
        running({
          containerStatuses: [
            { name: 'web', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          ],
        }),
      )[2],
    ).toBe('Completed');
    expect(
      row(
        running({ containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 137 } } }] }),
      )[2],
    ).toBe('ExitCode:137');
    expect(
      row(
        running({
          containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 0, signal: 9 } } }],
        }),
      )[2],
    ).toBe('Signal:9');
  });

  it('prints init container progress', () => {
    const spec = {
      initContainers: [
        { name: 'init', image: 'busybox' },
        { name: 'init2', image: 'busybox' },
      ],
      containers: [web],
    };
    const waiting = pod(spec, {
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'init', state: { terminated: { exitCode: 0 } } },
          { name: 'init2', state: { running: {} } },
        ],
      },
    });
    expect(row(waiting)[2]).toBe('Init:1/2');
    const failing = pod(spec, {
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'init', state: { waiting: { reason: 'ImagePullBackOff' } } },
        ],
      },
    });
    expect(row(failing)[2]).toBe('Init:ImagePullBackOff');
  });

  it('prints Terminating while being deleted', () => {
    const o = running({});
    o.metadata.deletionTimestamp = '2024-05-01T11:59:00Z';
    expect(row(o)[2]).toBe('Terminating');
    o.status = { phase: 'Succeeded' };
    expect(row(o)[2]).toBe('Succeeded');
  });

  it('prints readiness gates', () => {
    const o = running(
      { conditions: [{ type: 'example.com/ready', status: 'True' }] },
      {
        containers: [web],
        readinessGates: [{ conditionType: 'example.com/ready' }, { conditionType: 'other' }],
      },
    );
    expect(row(o)[8]).toBe('1/2');
  });

  it('prints <unknown> age without a creation timestamp', () => {
    expect(row({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual([
      'x',
      '0/0',
      '',
      '0',
      '<unknown>',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
  });
});
