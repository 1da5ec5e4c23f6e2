import { z } from 'zod';
import type { StatusCause } from '../api/status';
import type { KubeObject } from '../api/types';
import { isDNS1035Label, isDNS1123Label, validateLabels } from '../validation';
import { fe, validatePortNumber, PORT_RANGE } from './causes';
import { defineResource } from './define';
import { typeMeta } from './meta';
import { isIP } from './names';
import { PROTOCOLS, validatePortOrName } from './pod-spec';
import {
  anyObject,
  enumOrEmpty,
  int32,
  int64,
  intOrString,
  mergeList,
  stringMap,
  timestamp,
} from './schema';
import { age, ageColumn, column, formatLabels, name, nameColumn } from './table';
import { arr, isObject, obj, str, type JsonObject } from './util';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;

const servicePortSchema = z.strictObject({
  name: z.string().optional(),
  protocol: enumOrEmpty(PROTOCOLS).optional(),
  appProtocol: z.string().optional(),
  port: int32(),
  targetPort: intOrString().optional(),
  nodePort: int32().optional(),
});

export const serviceSchema = z.strictObject({
  ...typeMeta('v1', 'Service'),
  spec: z
    .strictObject({
      ports: mergeList(servicePortSchema, 'port').optional(),
      selector: stringMap().optional(),
      clusterIP: z.string().optional(),
      clusterIPs: z.array(z.string()).optional(),
      type: enumOrEmpty(SERVICE_TYPES).optional(),
      externalIPs: z.array(z.string()).optional(),
      sessionAffinity: enumOrEmpty(['ClientIP', 'None']).optional(),
      loadBalancerIP: z.string().optional(),
      loadBalancerSourceRanges: z.array(z.string()).optional(),
      externalName: z.string().optional(),
      externalTrafficPolicy: enumOrEmpty(['Cluster', 'Local']).optional(),
      healthCheckNodePort: int32().optional(),
      publishNotReadyAddresses: z.boolean().optional(),
      sessionAffinityConfig: anyObject().optional(),
      ipFamilies: z.array(z.enum(['IPv4', 'IPv6'])).optional(),
      ipFamilyPolicy: enumOrEmpty([
        'SingleStack',
        'PreferDualStack',
        'RequireDualStack',
      ]).optional(),
      allocateLoadBalancerNodePorts: z.boolean().optional(),
      loadBalancerClass: z.string().optional(),
      internalTrafficPolicy: enumOrEmpty(['Cluster', 'Local']).optional(),
      trafficDistribution: z.string().optional(),
    })
    .optional(),
  status: z
    .strictObject({
      loadBalancer: z
        .strictObject({
          ingress: z
            .array(
              z.strictObject({
                ip: z.string().optional(),
                hostname: z.string().optional(),
                ipMode: z.string().optional(),
                ports: z.array(anyObject()).optional(),
              }),
            )
            .optional(),
        })
        .optional(),
      conditions: z
        .array(
          z.strictObject({
            type: z.string(),
            status: z.enum(['True', 'False', 'Unknown']),
            observedGeneration: int64().optional(),
            lastTransitionTime: timestamp(),
            reason: z.string(),
            message: z.string(),
          }),
        )
        .optional(),
    })
    .optional(),
});

function serviceType(spec: JsonObject): string {
  return str(spec.type) || 'ClusterIP';
}

function validateService(o: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = str(obj(o.metadata).name);
  // Service names are DNS-1035 labels: on top of the DNS-1123 label rule, a leading letter.
  if (name && isDNS1123Label(name).length === 0) {
    for (const msg of isDNS1035Label(name)) causes.push(fe.invalid('metadata.name', name, msg));
  }
  const spec = obj(o.spec);
  const type = serviceType(spec);
  const clusterIP = str(spec.clusterIP);
  const headless = clusterIP === 'None';
  const ports = arr(spec.ports);

  if (type === 'ExternalName') {
    const externalName = str(spec.externalName);
    if (!externalName) causes.push(fe.required('spec.externalName'));
    if (clusterIP && !headless)
      causes.push(fe.forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  } else if (ports.length === 0 && !headless) {
    causes.push(fe.required('spec.ports'));
  }

  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
    causes.push(
      fe.invalid('spec.clusterIP', clusterIP, `may not be set to 'None' for ${type} services`),
    );
  }
  if (clusterIP && !headless && !isIP(clusterIP)) {
    causes.push(
      fe.invalid('spec.clusterIP', clusterIP, "must be empty, 'None', or a valid IP address"),
    );
  }
  const clusterIPs = arr(spec.clusterIPs);
  clusterIPs.forEach((ip, i) => {
    const s = str(ip);
    if (s !== 'None' && !isIP(s))
      causes.push(fe.invalid(`spec.clusterIPs[${i}]`, ip, "must be 'None' or a valid IP address"));
  });
  if (clusterIP && clusterIPs.length > 0 && clusterIPs[0] !== clusterIP) {
    causes.push(
      fe.invalid('spec.clusterIPs[0]', clusterIPs[0], 'must match `clusterIP` if specified'),
    );
  }
  arr(spec.externalIPs).forEach((ip, i) => {
    if (!isIP(str(ip)))
      causes.push(fe.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address'));
  });

  const names = new Set<string>();
  const portProtocols = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const port = obj(p);
    const at = `spec.ports[${i}]`;
    const portName = str(port.name);
    if (ports.length > 1 && !portName) causes.push(fe.required(`${at}.name`));
    if (portName) {
      for (const msg of isDNS1123Label(portName))
        causes.push(fe.invalid(`${at}.name`, portName, msg));
      if (names.has(portName)) causes.push(fe.duplicate(`${at}.name`, portName));
      names.add(portName);
    }
    if (port.port === undefined || port.port === 0) causes.push(fe.required(`${at}.port`));
    else causes.push(...validatePortNumber(port.port, `${at}.port`));
    const protocol = str(port.protocol) || 'TCP';
    const key = `${String(port.port)}/${protocol}`;
    if (portProtocols.has(key)) causes.push(fe.duplicate(at, { port: port.port, protocol }));
    portProtocols.add(key);
    if (port.targetPort !== undefined && port.targetPort !== 0) {
      causes.push(...validatePortOrName(port.targetPort, `${at}.targetPort`));
    }
    if (typeof port.nodePort === 'number' && port.nodePort !== 0) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') {
        causes.push(fe.forbidden(`${at}.nodePort`, `may not be used when \`type\` is '${type}'`));
      } else if (port.nodePort < 1 || port.nodePort > 65535) {
        causes.push(fe.invalid(`${at}.nodePort`, port.nodePort, PORT_RANGE));
      } else {
        const npKey = `${port.nodePort}/${protocol}`;
        if (nodePorts.has(npKey)) causes.push(fe.duplicate(`${at}.nodePort`, port.nodePort));
        nodePorts.add(npKey);
      }
    }
  });

  if (isObject(spec.selector))
    causes.push(...validateLabels(spec.selector as Record<string, string>, 'spec.selector'));
  const etp = str(spec.externalTrafficPolicy);
  if (etp && type !== 'NodePort' && type !== 'LoadBalancer') {
    causes.push(
      fe.invalid(
        'spec.externalTrafficPolicy',
        etp,
        "may only be set when `type` is 'NodePort' or 'LoadBalancer'",
      ),
    );
  }

  if (old) {
    const oldIP = str(obj(old.spec).clusterIP);
    if (
      oldIP &&
      clusterIP &&
      clusterIP !== oldIP &&
      serviceType(obj(old.spec)) !== 'ExternalName' &&
      type !== 'ExternalName'
    ) {
      causes.push(fe.invalid('spec.clusterIP', clusterIP, 'field is immutable'));
    }
  }
  return causes;
}

function defaultService(o: JsonObject): void {
  if (!isObject(o.spec)) o.spec = {};
  const spec = o.spec as JsonObject;
  if (spec.type === undefined || spec.type === '') spec.type = 'ClusterIP';
  if (spec.sessionAffinity === undefined || spec.sessionAffinity === '')
    spec.sessionAffinity = 'None';
  for (const p of arr(spec.ports)) {
    if (!isObject(p)) continue;
    if (p.protocol === undefined || p.protocol === '') p.protocol = 'TCP';
    if (
      (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') &&
      typeof p.port === 'number'
    ) {
      p.targetPort = p.port;
    }
  }
  if (spec.type !== 'ExternalName') {
    if (spec.internalTrafficPolicy === undefined || spec.internalTrafficPolicy === '')
      spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    if (spec.externalTrafficPolicy === undefined || spec.externalTrafficPolicy === '')
      spec.externalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  const clusterIP = str(spec.clusterIP);
  const clusterIPs = arr(spec.clusterIPs);
  if (clusterIP && clusterIPs.length === 0) spec.clusterIPs = [clusterIP];
  else if (!clusterIP && typeof clusterIPs[0] === 'string' && clusterIPs[0])
    spec.clusterIP = clusterIPs[0];
}

/** The EXTERNAL-IP cell (kubectl's getServiceExternalIP). */
export function serviceExternalIP(o: KubeObject): string {
  const spec = obj(o.spec);
  const externalIPs = arr(spec.externalIPs).filter((v): v is string => typeof v === 'string');
  switch (serviceType(spec)) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = arr(obj(obj(o.status).loadBalancer).ingress).map(obj);
      const lb = [
        ...new Set(ingress.map((i) => str(i.ip) || str(i.hostname)).filter((s) => s !== '')),
      ];
      const all = [...lb, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** The PORT(S) cell: `80/TCP`, `80:30080/TCP`, comma-joined; `<none>` when empty. */
export function servicePorts(o: KubeObject): string {
  const pieces = arr(obj(o.spec).ports).map((p) => {
    const port = obj(p);
    const protocol = str(port.protocol) || 'TCP';
    const portNum = typeof port.port === 'number' ? port.port : 0;
    return typeof port.nodePort === 'number' && port.nodePort > 0
      ? `${portNum}:${port.nodePort}/${protocol}`
      : `${portNum}/${protocol}`;
  });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

export const serviceDefinition = defineResource({
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  hasStatus: true,
  tracksGeneration: false,
  nameRule: 'label',
  schema: serviceSchema,
  validate: validateService,
  defaults: defaultService,
  columns: [
    nameColumn(),
    column('Type', 'type determines how the Service is exposed. Defaults to ClusterIP.'),
    column(
      'Cluster-IP',
      'clusterIP is the IP address of the service and is usually assigned randomly.',
    ),
    column(
      'External-IP',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    column('Port(s)', 'The list of ports that are exposed by this service.'),
    ageColumn(),
    column(
      'Selector',
      'Route service traffic to pods with label keys and values matching this selector.',
      { wide: true },
    ),
  ],
  row(o, now) {
    const spec = obj(o.spec);
    const clusterIP = str(arr(spec.clusterIPs)[0]) || str(spec.clusterIP) || '<none>';
    return [
      name(o),
      serviceType(spec),
      clusterIP,
      serviceExternalIP(o),
      servicePorts(o),
      age(o, now),
      formatLabels(spec.selector),
    ];
  },
});
