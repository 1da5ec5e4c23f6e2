/**
 * PodSpec / PodTemplateSpec: schema and validation, shared by Pod, Deployment and ReplicaSet.
 * Defaults are in `pod-spec-defaults.ts`, the pod update rule in `pod-spec-update.ts`.
 */
import { z } from 'zod';
import type { StatusCause } from '../api/status';
import { isDNS1123Label, isValidPortName, validateLabels } from '../validation';
import { fe, validateMin, validatePortNumber, validateResourceList, PORT_RANGE } from './causes';
import { objectMetaSchema } from './meta';
import {
  anyObject,
  enumOrEmpty,
  int32,
  int64,
  intOrString,
  mergeList,
  quantityMap,
  stringMap,
} from './schema';
import { arr, isObject, obj, str, type JsonObject } from './util';

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
export const PULL_POLICIES = ['Always', 'Never', 'IfNotPresent'] as const;
export const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;

const containerPortSchema = z.strictObject({
  name: z.string().optional(),
  hostPort: int32().optional(),
  containerPort: int32(),
  protocol: enumOrEmpty(PROTOCOLS).optional(),
  hostIP: z.string().optional(),
});

const envVarSchema = z.strictObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: anyObject().optional(),
});

const refSchema = z.strictObject({ name: z.string().optional(), optional: z.boolean().optional() });

const envFromSchema = z.strictObject({
  prefix: z.string().optional(),
  configMapRef: refSchema.optional(),
  secretRef: refSchema.optional(),
});

export const resourceRequirementsSchema = z.strictObject({
  limits: quantityMap().optional(),
  requests: quantityMap().optional(),
  claims: z.array(z.strictObject({ name: z.string(), request: z.string().optional() })).optional(),
});

const httpHeaderSchema = z.strictObject({ name: z.string(), value: z.string() });

const probeSchema = z.strictObject({
  exec: z.strictObject({ command: z.array(z.string()).optional() }).optional(),
  httpGet: z
    .strictObject({
      path: z.string().optional(),
      port: intOrString(),
      host: z.string().optional(),
      scheme: enumOrEmpty(['HTTP', 'HTTPS']).optional(),
      httpHeaders: z.array(httpHeaderSchema).optional(),
    })
    .optional(),
  tcpSocket: z.strictObject({ port: intOrString(), host: z.string().optional() }).optional(),
  grpc: z.strictObject({ port: int32(), service: z.string().optional() }).optional(),
  initialDelaySeconds: int32().optional(),
  timeoutSeconds: int32().optional(),
  periodSeconds: int32().optional(),
  successThreshold: int32().optional(),
  failureThreshold: int32().optional(),
  terminationGracePeriodSeconds: int64().optional(),
});

const volumeMountSchema = z.strictObject({
  name: z.string(),
  mountPath: z.string(),
  readOnly: z.boolean().optional(),
  recursiveReadOnly: z.string().optional(),
  subPath: z.string().optional(),
  subPathExpr: z.string().optional(),
  mountPropagation: z.enum(['None', 'HostToContainer', 'Bidirectional']).optional(),
});

export const containerSchema = z.strictObject({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  ports: mergeList(containerPortSchema, 'containerPort').optional(),
  envFrom: z.array(envFromSchema).optional(),
  env: mergeList(envVarSchema, 'name').optional(),
  resources: resourceRequirementsSchema.optional(),
  resizePolicy: z.array(anyObject()).optional(),
  restartPolicy: z.string().optional(),
  volumeMounts: mergeList(volumeMountSchema, 'mountPath').optional(),
  volumeDevices: z.array(z.strictObject({ name: z.string(), devicePath: z.string() })).optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  lifecycle: anyObject().optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: enumOrEmpty(TERMINATION_MESSAGE_POLICIES).optional(),
  imagePullPolicy: enumOrEmpty(PULL_POLICIES).optional(),
  securityContext: anyObject().optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
});

/** Volume sources are accepted as opaque objects; the source keys themselves are known. */
const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'secret',
  'configMap',
  'persistentVolumeClaim',
  'projected',
  'downwardAPI',
  'ephemeral',
  'csi',
  'image',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'azureDisk',
  'vsphereVolume',
  'quobyte',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
] as const;

const volumeSchema = z.strictObject({
  name: z.string(),
  ...Object.fromEntries(VOLUME_SOURCES.map((k) => [k, anyObject().optional()])),
});

const tolerationSchema = z.strictObject({
  key: z.string().optional(),
  operator: enumOrEmpty(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: enumOrEmpty(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: int64().optional(),
});

export const podSpecSchema = z.strictObject({
  volumes: mergeList(volumeSchema, 'name').optional(),
  initContainers: mergeList(containerSchema, 'name').optional(),
  containers: mergeList(containerSchema, 'name'),
  ephemeralContainers: z.array(anyObject()).optional(),
  restartPolicy: enumOrEmpty(RESTART_POLICIES).optional(),
  terminationGracePeriodSeconds: int64().optional(),
  activeDeadlineSeconds: int64().optional(),
  dnsPolicy: enumOrEmpty(DNS_POLICIES).optional(),
  nodeSelector: stringMap().optional(),
  serviceAccountName: z.string().optional(),
  serviceAccount: z.string().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  hostPID: z.boolean().optional(),
  hostIPC: z.boolean().optional(),
  hostUsers: z.boolean().optional(),
  shareProcessNamespace: z.boolean().optional(),
  securityContext: anyObject().optional(),
  imagePullSecrets: mergeList(z.strictObject({ name: z.string().optional() }), 'name').optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  setHostnameAsFQDN: z.boolean().optional(),
  affinity: anyObject().optional(),
  schedulerName: z.string().optional(),
  tolerations: z.array(tolerationSchema).optional(),
  hostAliases: z
    .array(z.strictObject({ ip: z.string(), hostnames: z.array(z.string()).optional() }))
    .optional(),
  priorityClassName: z.string().optional(),
  priority: int32().optional(),
  dnsConfig: anyObject().optional(),
  readinessGates: z.array(z.strictObject({ conditionType: z.string() })).optional(),
  runtimeClassName: z.string().optional(),
  enableServiceLinks: z.boolean().optional(),
  preemptionPolicy: enumOrEmpty(['PreemptLowerPriority', 'Never']).optional(),
  overhead: quantityMap().optional(),
  topologySpreadConstraints: z.array(anyObject()).optional(),
  os: z.strictObject({ name: z.string() }).optional(),
  schedulingGates: z.array(z.strictObject({ name: z.string() })).optional(),
  resourceClaims: z.array(anyObject()).optional(),
  resources: resourceRequirementsSchema.optional(),
});

export const podTemplateSpecSchema = z.strictObject({
  metadata: objectMetaSchema.optional(),
  spec: podSpecSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** Where the pod spec sits and what kind of owner it has (template rules differ). */
export interface PodSpecContext {
  /** `spec` for pods, `spec.template.spec` for workloads. */
  field: string;
  /** Set for pod templates of Deployments/ReplicaSets: only `Always` restarts are allowed. */
  templateOf?: 'Deployment' | 'ReplicaSet' | 'ReplicationController' | 'DaemonSet';
}

export function validatePodSpec(spec: unknown, ctx: PodSpecContext): StatusCause[] {
  const s = obj(spec);
  const f = ctx.field;
  const causes: StatusCause[] = [];

  const volumeNames = new Set<string>();
  arr(s.volumes).forEach((v, i) => {
    const name = str(obj(v).name);
    const at = `${f}.volumes[${i}].name`;
    if (!name) causes.push(fe.required(at));
    else {
      for (const msg of isDNS1123Label(name)) causes.push(fe.invalid(at, name, msg));
      if (volumeNames.has(name)) causes.push(fe.duplicate(at, name));
    }
    volumeNames.add(name);
    const sources = Object.keys(obj(v)).filter((k) => k !== 'name');
    if (sources.length > 1) {
      causes.push(
        fe.forbidden(
          `${f}.volumes[${i}]`,
          `may not specify more than 1 volume type (${sources.join(', ')})`,
        ),
      );
    }
  });

  const containers = arr(s.containers);
  if (!Array.isArray(s.containers) || containers.length === 0)
    causes.push(fe.required(`${f}.containers`));
  const allNames = new Set<string>();
  arr(s.initContainers).forEach((c, i) => {
    causes.push(...validateContainer(c, `${f}.initContainers[${i}]`, allNames, volumeNames, true));
  });
  containers.forEach((c, i) => {
    causes.push(...validateContainer(c, `${f}.containers[${i}]`, allNames, volumeNames, false));
  });

  if (s.hostNetwork === true) {
    [
      ...arr(s.initContainers).map((c, i) => [c, `${f}.initContainers[${i}]`] as const),
      ...containers.map((c, i) => [c, `${f}.containers[${i}]`] as const),
    ].forEach(([c, at]) => {
      arr(obj(c).ports).forEach((p, j) => {
        const port = obj(p);
        if (
          typeof port.hostPort === 'number' &&
          port.hostPort !== 0 &&
          port.hostPort !== port.containerPort
        ) {
          causes.push(
            fe.invalid(
              `${at}.ports[${j}].hostPort`,
              port.hostPort,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      });
    });
  }

  if (ctx.templateOf) {
    const rp = str(s.restartPolicy);
    if (rp && rp !== 'Always') causes.push(fe.notSupported(`${f}.restartPolicy`, rp, ['Always']));
    if (s.activeDeadlineSeconds !== undefined) {
      causes.push(
        fe.forbidden(
          `${f}.activeDeadlineSeconds`,
          `activeDeadlineSeconds in ${ctx.templateOf} is not Supported`,
        ),
      );
    }
  } else if (
    typeof s.activeDeadlineSeconds === 'number' &&
    (s.activeDeadlineSeconds < 1 || s.activeDeadlineSeconds > 2147483647)
  ) {
    causes.push(
      fe.invalid(
        `${f}.activeDeadlineSeconds`,
        s.activeDeadlineSeconds,
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  }
  causes.push(
    ...validateMin(s.terminationGracePeriodSeconds, 0, `${f}.terminationGracePeriodSeconds`),
  );

  if (s.dnsPolicy === 'None' && !isObject(s.dnsConfig)) {
    causes.push(fe.required(`${f}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  if (isObject(s.nodeSelector))
    causes.push(...validateLabels(s.nodeSelector as Record<string, string>, `${f}.nodeSelector`));
  for (const key of ['hostname', 'subdomain'] as const) {
    const v = str(s[key]);
    if (v) for (const msg of isDNS1123Label(v)) causes.push(fe.invalid(`${f}.${key}`, v, msg));
  }
  arr(s.imagePullSecrets).forEach((p, i) => {
    if (!str(obj(p).name)) causes.push(fe.required(`${f}.imagePullSecrets[${i}].name`));
  });
  arr(s.tolerations).forEach((t, i) =>
    causes.push(...validateToleration(obj(t), `${f}.tolerations[${i}]`)),
  );
  if (isObject(s.overhead)) validateResourceList(s.overhead, `${f}.overhead`, causes);
  if (isObject(s.resources)) causes.push(...validateResources(s.resources, `${f}.resources`));
  return causes;
}

function validateContainer(
  raw: unknown,
  at: string,
  names: Set<string>,
  volumes: Set<string>,
  init: boolean,
): StatusCause[] {
  const c = obj(raw);
  const causes: StatusCause[] = [];
  const name = str(c.name);
  if (!name) causes.push(fe.required(`${at}.name`));
  else {
    for (const msg of isDNS1123Label(name)) causes.push(fe.invalid(`${at}.name`, name, msg));
    if (names.has(name)) causes.push(fe.duplicate(`${at}.name`, name));
    names.add(name);
  }
  if (!str(c.image).trim()) causes.push(fe.required(`${at}.image`));

  const portNames = new Set<string>();
  arr(c.ports).forEach((p, j) => {
    const port = obj(p);
    const pAt = `${at}.ports[${j}]`;
    const portName = str(port.name);
    if (portName) {
      for (const msg of isValidPortName(portName))
        causes.push(fe.invalid(`${pAt}.name`, portName, msg));
      if (portNames.has(portName)) causes.push(fe.duplicate(`${pAt}.name`, portName));
      portNames.add(portName);
    }
    if (port.containerPort === undefined || port.containerPort === 0)
      causes.push(fe.required(`${pAt}.containerPort`));
    else causes.push(...validatePortNumber(port.containerPort, `${pAt}.containerPort`));
    if (typeof port.hostPort === 'number' && port.hostPort !== 0) {
      causes.push(...validatePortNumber(port.hostPort, `${pAt}.hostPort`));
    }
  });

  arr(c.env).forEach((e, j) => {
    const env = obj(e);
    if (!str(env.name)) causes.push(fe.required(`${at}.env[${j}].name`));
    if (env.value !== undefined && env.valueFrom !== undefined && str(env.value) !== '') {
      causes.push(
        fe.invalid(
          `${at}.env[${j}].valueFrom`,
          '',
          'may not be specified when `value` is not empty',
        ),
      );
    }
  });

  arr(c.volumeMounts).forEach((m, j) => {
    const mount = obj(m);
    const mName = str(mount.name);
    if (!mName) causes.push(fe.required(`${at}.volumeMounts[${j}].name`));
    else if (!volumes.has(mName)) causes.push(fe.notFound(`${at}.volumeMounts[${j}].name`, mName));
    if (!str(mount.mountPath)) causes.push(fe.required(`${at}.volumeMounts[${j}].mountPath`));
  });

  if (isObject(c.resources)) causes.push(...validateResources(c.resources, `${at}.resources`));

  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    if (!isObject(c[probe])) continue;
    if (init && c.restartPolicy !== 'Always') {
      causes.push(
        fe.forbidden(
          `${at}.${probe}`,
          'may not be set for init containers without restartPolicy=Always',
        ),
      );
      continue;
    }
    causes.push(
      ...validateProbe(c[probe] as JsonObject, `${at}.${probe}`, probe !== 'readinessProbe'),
    );
  }
  if (init && c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
    causes.push(fe.notSupported(`${at}.restartPolicy`, c.restartPolicy, ['Always']));
  } else if (!init && c.restartPolicy !== undefined) {
    causes.push(fe.forbidden(`${at}.restartPolicy`, 'may not be set for non-init containers'));
  }
  return causes;
}

function validateResources(res: JsonObject, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const limits = validateResourceList(res.limits, `${at}.limits`, causes);
  const requests = validateResourceList(res.requests, `${at}.requests`, causes);
  for (const [key, req] of requests) {
    const limit = limits.get(key);
    if (limit && req.cmp(limit) > 0) {
      causes.push(
        fe.invalid(
          `${at}.requests[${key}]`,
          req.toString(),
          `must be less than or equal to ${key} limit of ${limit.toString()}`,
        ),
      );
    }
  }
  return causes;
}

function validateProbe(p: JsonObject, at: string, successMustBeOne: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const handlers = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter(
    (h) => p[h] !== undefined,
  );
  if (handlers.length === 0) causes.push(fe.required(at, 'must specify a handler type'));
  if (handlers.length > 1)
    causes.push(fe.forbidden(`${at}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  for (const key of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    causes.push(...validateMin(p[key], 0, `${at}.${key}`));
  }
  if (successMustBeOne && typeof p.successThreshold === 'number' && p.successThreshold !== 1) {
    causes.push(fe.invalid(`${at}.successThreshold`, p.successThreshold, 'must be 1'));
  }
  if (typeof p.terminationGracePeriodSeconds === 'number' && p.terminationGracePeriodSeconds < 1) {
    causes.push(
      fe.invalid(
        `${at}.terminationGracePeriodSeconds`,
        p.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  }
  for (const h of ['httpGet', 'tcpSocket'] as const) {
    if (!isObject(p[h])) continue;
    causes.push(...validatePortOrName((p[h] as JsonObject).port, `${at}.${h}.port`));
  }
  if (isObject(p.grpc)) causes.push(...validatePortNumber(p.grpc.port, `${at}.grpc.port`));
  return causes;
}

/** An `IntOrString` port: a number in range or an IANA service name. */
export function validatePortOrName(port: unknown, at: string): StatusCause[] {
  if (typeof port === 'number') return validatePortNumber(port, at);
  if (typeof port === 'string') {
    if (/^[0-9]+$/.test(port)) return [fe.invalid(at, port, PORT_RANGE)];
    return isValidPortName(port).map((msg) => fe.invalid(at, port, msg));
  }
  return [];
}

function validateToleration(t: JsonObject, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const key = str(t.key);
  const op = str(t.operator) || 'Equal';
  if (!key && op !== 'Exists') {
    causes.push(
      fe.invalid(
        `${at}.operator`,
        op,
        'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ),
    );
  }
  if (op === 'Exists' && str(t.value) !== '') {
    causes.push(
      fe.invalid(`${at}.operator`, t.value, "value must be empty when `operator` is 'Exists'"),
    );
  }
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
    causes.push(
      fe.invalid(
        `${at}.effect`,
        str(t.effect),
        "effect must be 'NoExecute' when `tolerationSeconds` is set",
      ),
    );
  }
  return causes;
}

/** Template metadata labels must be valid labels. */
export function validateTemplateMeta(template: unknown, field: string): StatusCause[] {
  const meta = obj(obj(template).metadata);
  return isObject(meta.labels)
    ? validateLabels(meta.labels as Record<string, string>, `${field}.metadata.labels`)
    : [];
}

export function podTemplateLabels(template: unknown): Record<string, string> {
  const labels = obj(obj(obj(template).metadata).labels);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}
