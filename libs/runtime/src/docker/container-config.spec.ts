import type { ContainerInspectInfo } from 'dockerode';
import type { PodSpecForRuntime } from '../types';
import {
  ContainerConfigError,
  LABELS,
  containerName,
  createBody,
  dockerTime,
  hostPortsOf,
  podSpecFromLabels,
} from './container-config';

const pod: PodSpecForRuntime = {
  uid: 'a1b2c3d4-e5f6-4000-8000-000000000001',
  namespace: 'default',
  name: 'api-7d9f',
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  containers: [{ name: 'app', image: 'nginx' }],
};

describe('container-config', () => {
  it('names containers like dockershim did, with the first 8 characters of the uid', () => {
    expect(containerName(pod, 'app')).toBe('berth_default_api-7d9f_app_a1b2c3d4');
  });

  it.each([
    ['64Mi', 67_108_864],
    ['1G', 1_000_000_000],
    ['1Gi', 1_073_741_824],
    ['128974848', 128_974_848],
    ['129e6', 129_000_000],
  ])('maps a memory limit of %s to %d bytes', (memory, bytes) => {
    const body = createBody(
      pod,
      { name: 'app', image: 'x', resources: { limits: { memory } } },
      0,
      '2026-01-01T00:00:00Z',
    );
    expect(body.HostConfig?.Memory).toBe(bytes);
  });

  it.each([
    ['500m', 500_000_000, 512],
    ['2', 2_000_000_000, 2048],
    ['0.25', 250_000_000, 256],
    ['1m', 1_000_000, 2],
  ])('maps a cpu limit of %s to NanoCpus %d and CpuShares %d', (cpu, nano, shares) => {
    const body = createBody(
      pod,
      { name: 'app', image: 'x', resources: { limits: { cpu } } },
      0,
      '2026-01-01T00:00:00Z',
    );
    expect(body.HostConfig?.NanoCpus).toBe(nano);
    expect(body.HostConfig?.CpuShares).toBe(shares);
  });

  it('rejects quantities Docker cannot be given', () => {
    for (const limits of [{ memory: '1GiB' }, { cpu: '-1' }, { memory: 'lots' }])
      expect(() =>
        createBody(pod, { name: 'app', image: 'x', resources: { limits } }, 0, 'now'),
      ).toThrow(ContainerConfigError);
  });

  it('expands $(VAR) in env, command and args as kubelet does ($$ escapes)', () => {
    const body = createBody(
      pod,
      {
        name: 'app',
        image: 'x',
        env: [
          { name: 'HOST', value: 'db' },
          { name: 'URL', value: 'pg://$(HOST):5432' },
          { name: 'LATER', value: '$(UNSET)' },
        ],
        command: ['sh', '-c', 'echo $(URL)'],
        args: ['$$(HOST)', '$(HOST)'],
      },
      0,
      'now',
    );
    expect(body.Env).toEqual(['HOST=db', 'URL=pg://db:5432', 'LATER=$(UNSET)']);
    expect(body.Entrypoint).toEqual(['sh', '-c', 'echo pg://db:5432']);
    expect(body.Cmd).toEqual(['$(HOST)', 'db']);
  });

  it('binds a hostPort as asked and lets Docker choose the others', () => {
    const body = createBody(
      pod,
      {
        name: 'app',
        image: 'x',
        ports: [
          { containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' },
          { containerPort: 53, protocol: 'UDP' },
        ],
      },
      0,
      'now',
    );
    expect(body.HostConfig?.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
      '53/udp': [{ HostIp: '', HostPort: '' }],
    });
  });

  it('keeps the pod spec in the labels so that it can be read back', () => {
    const body = createBody(pod, pod.containers[0], 3, '2026-01-01T00:00:00Z');
    expect(body.Labels?.[LABELS.restartCount]).toBe('3');
    expect(podSpecFromLabels(body.Labels!)).toEqual(pod);
    expect(podSpecFromLabels({ [LABELS.podUID]: pod.uid, [LABELS.podSpec]: '{' })).toBeUndefined();
  });

  it('reads the host ports Docker chose, TCP first', () => {
    const info = {
      NetworkSettings: {
        Ports: {
          '53/udp': [{ HostIp: '0.0.0.0', HostPort: '40001' }],
          '53/tcp': [
            { HostIp: '0.0.0.0', HostPort: '40000' },
            { HostIp: '::', HostPort: '40000' },
          ],
          '9090/tcp': null,
        },
      },
    } as unknown as ContainerInspectInfo;
    expect(hostPortsOf(info)).toEqual({ 53: 40000 });
  });

  it('reads Docker times at second precision and its zero time as unset', () => {
    expect(dockerTime('2026-12-04T16:43:07.123456789Z')).toBe('2026-12-04T16:43:07Z');
    expect(dockerTime('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(dockerTime(undefined)).toBeUndefined();
  });
});
