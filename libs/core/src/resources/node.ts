import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { fe, validateResourceList } from './causes';
import { defineResource } from './define';
import { conditionSchema, typeMeta } from './meta';
import { anyObject, int32, int64, quantityMap, timestamp } from './schema';
import { age, ageColumn, column, name, nameColumn, orNone } from './table';
import { arr, deepClone, isObject, obj, str } from './util';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export const nodeSchema = z.strictObject({
  ...typeMeta('v1', 'Node'),
  spec: z
    .strictObject({
      podCIDR: z.string().optional(),
      podCIDRs: z.array(z.string()).optional(),
      providerID: z.string().optional(),
      unschedulable: z.boolean().optional(),
      taints: z
        .array(
          z.strictObject({
            key: z.string(),
            value: z.string().optional(),
            effect: z.enum(TAINT_EFFECTS),
            timeAdded: timestamp().optional(),
          }),
        )
        .optional(),
      configSource: anyObject().optional(),
      externalID: z.string().optional(),
    })
    .optional(),
  status: z
    .strictObject({
      capacity: quantityMap().optional(),
      allocatable: quantityMap().optional(),
      phase: z.enum(['Pending', 'Running', 'Terminated', '']).optional(),
      conditions: z
        .array(
          conditionSchema({
            lastHeartbeatTime: timestamp().optional(),
            lastTransitionTime: timestamp().optional(),
          }),
        )
        .optional(),
      addresses: z
        .array(
          z.strictObject({
            type: z.enum(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS']),
            address: z.string(),
          }),
        )
        .optional(),
      daemonEndpoints: z
        .strictObject({ kubeletEndpoint: z.strictObject({ Port: int32() }).optional() })
        .optional(),
      nodeInfo: z
        .strictObject({
          machineID: z.string().optional(),
          systemUUID: z.string().optional(),
          bootID: z.string().optional(),
          kernelVersion: z.string().optional(),
          osImage: z.string().optional(),
          containerRuntimeVersion: z.string().optional(),
          kubeletVersion: z.string().optional(),
          kubeProxyVersion: z.string().optional(),
          operatingSystem: z.string().optional(),
          architecture: z.string().optional(),
          swap: anyObject().optional(),
        })
        .optional(),
      images: z
        .array(
          z.strictObject({ names: z.array(z.string()).optional(), sizeBytes: int64().optional() }),
        )
        .optional(),
      volumesInUse: z.array(z.string()).optional(),
      volumesAttached: z
        .array(z.strictObject({ name: z.string(), devicePath: z.string() }))
        .optional(),
      config: anyObject().optional(),
      runtimeHandlers: z.array(anyObject()).optional(),
      features: anyObject().optional(),
    })
    .optional(),
});

function validateNode(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = obj(o.spec);
  const seen = new Set<string>();
  arr(spec.taints).forEach((t, i) => {
    const taint = obj(t);
    const key = str(taint.key);
    if (!key) causes.push(fe.required(`spec.taints[${i}].key`));
    const id = `${key}:${str(taint.effect)}`;
    if (seen.has(id)) {
      causes.push(fe.duplicate(`spec.taints[${i}]`, `${key}:${str(taint.effect)}`));
    }
    seen.add(id);
  });
  const status = obj(o.status);
  validateResourceList(status.capacity, 'status.capacity', causes);
  validateResourceList(status.allocatable, 'status.allocatable', causes);
  const port = obj(obj(status.daemonEndpoints).kubeletEndpoint).Port;
  if (typeof port === 'number' && (port < 0 || port > 65535)) {
    causes.push(
      fe.invalid(
        'status.daemonEndpoints.kubeletEndpoint.Port',
        port,
        'must be between 0 and 65535, inclusive',
      ),
    );
  }
  return causes;
}

/** `Ready`, `NotReady`, `Unknown`, plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus(o: KubeObject): string {
  const status: string[] = [];
  const ready = arr(obj(o.status).conditions)
    .map(obj)
    .find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (obj(o.spec).unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` label. */
export function nodeRoles(o: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj(obj(o.metadata).labels))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && typeof v === 'string' && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

function nodeAddress(o: KubeObject, type: string): string {
  const found = arr(obj(o.status).addresses)
    .map(obj)
    .find((a) => a.type === type);
  return found ? str(found.address) : '<none>';
}

export const nodeDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  hasStatus: true,
  tracksGeneration: false,
  nameRule: 'subdomain',
  schema: nodeSchema,
  validate: (o) => validateNode(o),
  defaults(o) {
    const status = obj(o.status);
    if (isObject(o.status) && isObject(status.capacity) && status.allocatable === undefined) {
      status.allocatable = deepClone(status.capacity);
    }
  },
  selectableFields: (o) => ({
    'spec.unschedulable': obj(o.spec).unschedulable === true ? 'true' : 'false',
  }),
  columns: [
    nameColumn(),
    column('Status', 'The status of the node'),
    column('Roles', 'The roles of the node'),
    ageColumn(),
    column('Version', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'List of addresses reachable to the node.', { wide: true }),
    column('External-IP', 'List of addresses reachable to the node.', { wide: true }),
    column(
      'OS-Image',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      { wide: true },
    ),
    column(
      'Kernel-Version',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      { wide: true },
    ),
    column(
      'Container-Runtime',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      { wide: true },
    ),
  ],
  row(o, now) {
    const info = obj(obj(o.status).nodeInfo);
    const orUnknown = (v: unknown) => str(v) || '<unknown>';
    return [
      name(o),
      nodeStatus(o),
      orNone(nodeRoles(o).join(',')),
      age(o, now),
      str(info.kubeletVersion),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      orUnknown(info.osImage),
      orUnknown(info.kernelVersion),
      orUnknown(info.containerRuntimeVersion),
    ];
  },
});
