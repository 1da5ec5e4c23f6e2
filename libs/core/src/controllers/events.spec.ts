import {
  eventAbout,
  eventFor,
  eventKey,
  eventName,
  eventNamespace,
  type EventSpec,
} from './events';
import { at, deepFreeze, replicaSet, T0 } from './test-helpers';

const spec = (over: Partial<EventSpec> = {}): EventSpec => ({
  type: 'Normal',
  reason: 'ScalingReplicaSet',
  message: 'Scaled up replica set web-abc123 from 0 to 3',
  involvedObject: {
    kind: 'Deployment',
    namespace: 'team-a',
    name: 'web',
    uid: 'u1',
    apiVersion: 'apps/v1',
    resourceVersion: '5',
  },
  source: { component: 'deployment-controller' },
  ...over,
});

describe('eventName', () => {
  it('is stable for the de-duplication key and ignores the resourceVersion', () => {
    const a = eventName(spec());
    expect(a).toMatch(/^web\.[0-9a-f]{16}$/);
    expect(eventName(spec())).toBe(a);
    expect(
      eventName(spec({ involvedObject: { ...spec().involvedObject, resourceVersion: '99' } })),
    ).toBe(a);
  });

  it('differs when the reason, message, type, source or object differ', () => {
    const base = eventName(spec());
    expect(eventName(spec({ message: 'other' }))).not.toBe(base);
    expect(eventName(spec({ reason: 'Other' }))).not.toBe(base);
    expect(eventName(spec({ type: 'Warning' }))).not.toBe(base);
    expect(eventName(spec({ source: { component: 'x' } }))).not.toBe(base);
    expect(eventName(spec({ involvedObject: { ...spec().involvedObject, uid: 'u2' } }))).not.toBe(
      base,
    );
  });

  it('stays a valid DNS subdomain for long names', () => {
    const long = 'a'.repeat(253);
    const name = eventName(spec({ involvedObject: { kind: 'Pod', name: long } }));
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });

  it('puts cluster-scoped objects’ events in default', () => {
    expect(eventNamespace(spec())).toBe('team-a');
    expect(eventNamespace(spec({ involvedObject: { kind: 'Node', name: 'n1' } }))).toBe('default');
  });

  it('keys on every identifying field', () => {
    expect(eventKey(spec())).toContain('ScalingReplicaSet');
  });
});

describe('eventFor', () => {
  it('creates a new Event with count 1', () => {
    expect(eventFor(spec(), undefined, T0)).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName(spec()), namespace: 'team-a' },
      involvedObject: spec().involvedObject,
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-abc123 from 0 to 3',
      source: { component: 'deployment-controller' },
      firstTimestamp: '2024-05-01T12:00:00Z',
      lastTimestamp: '2024-05-01T12:00:00Z',
      count: 1,
      type: 'Normal',
      reportingComponent: 'deployment-controller',
      reportingInstance: '',
    });
  });

  it('bumps count and lastTimestamp of the same event', () => {
    const first = deepFreeze({
      ...eventFor(spec(), undefined, T0),
      metadata: { name: eventName(spec()), namespace: 'team-a', resourceVersion: '42' },
    });
    const second = eventFor(spec(), first, at(30));
    expect(second.count).toBe(2);
    expect(second.firstTimestamp).toBe('2024-05-01T12:00:00Z');
    expect(second.lastTimestamp).toBe('2024-05-01T12:00:30Z');
    expect(second.metadata.resourceVersion).toBe('42');
    expect(eventFor(spec(), second, at(60)).count).toBe(3);
  });

  it('replaces an existing Event of another key under the same name', () => {
    const other = { ...eventFor(spec({ message: 'other' }), undefined, T0) };
    other.metadata = { ...other.metadata, resourceVersion: '7' };
    const e = eventFor(spec(), other, at(5));
    expect(e.count).toBe(1);
    expect(e.message).toBe(spec().message);
    expect(e.metadata.resourceVersion).toBe('7');
  });

  it('eventAbout references the object', () => {
    const rs = replicaSet({});
    expect(eventAbout(rs, 'Warning', 'R', 'm', 'c')).toEqual({
      type: 'Warning',
      reason: 'R',
      message: 'm',
      involvedObject: {
        kind: 'ReplicaSet',
        name: 'web-abc',
        namespace: 'default',
        uid: 'uid-web-abc',
        apiVersion: 'apps/v1',
        resourceVersion: '10',
      },
      source: { component: 'c' },
    });
  });
});
