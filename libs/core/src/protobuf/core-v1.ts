/**
 * k8s.io/api/core/v1/generated.proto: the kinds Berth serves and what they embed. Field
 * numbers are the protobuf ones; `POINTER`/`REQUIRED` follow the Go types (see descriptor.ts).
 * Left out (skipped if they arrive): ephemeral containers, the rarer volume sources, alpha
 * fields newer than kubectl 1.32, and most of `PodStatus` (container statuses).
 */
import {
  bool,
  bytesMap,
  inline,
  int32,
  int64,
  int64s,
  intOrString,
  list,
  msg,
  POINTER,
  quantity,
  quantityMap,
  REQUIRED,
  str,
  stringMap,
  strings,
  time,
  type ProtoDescriptor,
} from './descriptor';
import { Condition, LabelSelector, ObjectMeta } from './meta-v1';

// ---------------------------------------------------------------------------------------------
// References and selectors
// ---------------------------------------------------------------------------------------------

export const LocalObjectReference: ProtoDescriptor = { 1: str('name') };

const KeyToPath: ProtoDescriptor = {
  1: str('key', REQUIRED),
  2: str('path', REQUIRED),
  3: int32('mode', POINTER),
  4: int64('user', POINTER),
};

const ObjectFieldSelector: ProtoDescriptor = {
  1: str('apiVersion'),
  2: str('fieldPath', REQUIRED),
};

const ResourceFieldSelector: ProtoDescriptor = {
  1: str('containerName'),
  2: str('resource', REQUIRED),
  3: quantity('divisor'),
};

/** ConfigMapKeySelector and SecretKeySelector have the same shape. */
const KeySelector: ProtoDescriptor = {
  1: inline('localObjectReference', LocalObjectReference),
  2: str('key', REQUIRED),
  3: bool('optional', POINTER),
};

// ---------------------------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------------------------

const EnvVarSource: ProtoDescriptor = {
  1: msg('fieldRef', ObjectFieldSelector),
  2: msg('resourceFieldRef', ResourceFieldSelector),
  3: msg('configMapKeyRef', KeySelector),
  4: msg('secretKeyRef', KeySelector),
};

const EnvVar: ProtoDescriptor = {
  1: str('name', REQUIRED),
  2: str('value'),
  3: msg('valueFrom', EnvVarSource),
};

/** ConfigMapEnvSource and SecretEnvSource have the same shape. */
const EnvSource: ProtoDescriptor = {
  1: inline('localObjectReference', LocalObjectReference),
  2: bool('optional', POINTER),
};

const EnvFromSource: ProtoDescriptor = {
  1: str('prefix'),
  2: msg('configMapRef', EnvSource),
  3: msg('secretRef', EnvSource),
};

const ContainerPort: ProtoDescriptor = {
  1: str('name'),
  2: int32('hostPort'),
  3: int32('containerPort', REQUIRED),
  4: str('protocol'),
  5: str('hostIP'),
};

const ResourceClaim: ProtoDescriptor = { 1: str('name', REQUIRED), 2: str('request') };

export const ResourceRequirements: ProtoDescriptor = {
  1: quantityMap('limits'),
  2: quantityMap('requests'),
  3: list('claims', ResourceClaim),
};

const ExecAction: ProtoDescriptor = { 1: strings('command') };

const HTTPHeader: ProtoDescriptor = { 1: str('name', REQUIRED), 2: str('value', REQUIRED) };

const HTTPGetAction: ProtoDescriptor = {
  1: str('path'),
  2: intOrString('port'),
  3: str('host'),
  4: str('scheme'),
  5: list('httpHeaders', HTTPHeader),
};

const TCPSocketAction: ProtoDescriptor = { 1: intOrString('port'), 2: str('host') };

const GRPCAction: ProtoDescriptor = { 1: int32('port', REQUIRED), 2: str('service', POINTER) };

const SleepAction: ProtoDescriptor = { 1: int64('seconds', REQUIRED) };

const ProbeHandler: ProtoDescriptor = {
  1: msg('exec', ExecAction),
  2: msg('httpGet', HTTPGetAction),
  3: msg('tcpSocket', TCPSocketAction),
  4: msg('grpc', GRPCAction),
};

const Probe: ProtoDescriptor = {
  1: inline('handler', ProbeHandler),
  2: int32('initialDelaySeconds'),
  3: int32('timeoutSeconds'),
  4: int32('periodSeconds'),
  5: int32('successThreshold'),
  6: int32('failureThreshold'),
  7: int64('terminationGracePeriodSeconds', POINTER),
};

const LifecycleHandler: ProtoDescriptor = {
  1: msg('exec', ExecAction),
  2: msg('httpGet', HTTPGetAction),
  3: msg('tcpSocket', TCPSocketAction),
  4: msg('sleep', SleepAction),
};

const Lifecycle: ProtoDescriptor = {
  1: msg('postStart', LifecycleHandler),
  2: msg('preStop', LifecycleHandler),
};

const VolumeMount: ProtoDescriptor = {
  1: str('name', REQUIRED),
  2: bool('readOnly'),
  3: str('mountPath', REQUIRED),
  4: str('subPath'),
  5: str('mountPropagation', POINTER),
  6: str('subPathExpr'),
  7: str('recursiveReadOnly', POINTER),
};

const VolumeDevice: ProtoDescriptor = {
  1: str('name', REQUIRED),
  2: str('devicePath', REQUIRED),
};

const Capabilities: ProtoDescriptor = { 1: strings('add'), 2: strings('drop') };

const SELinuxOptions: ProtoDescriptor = {
  1: str('user'),
  2: str('role'),
  3: str('type'),
  4: str('level'),
};

/** SeccompProfile and AppArmorProfile have the same shape. */
const SecurityProfile: ProtoDescriptor = {
  1: str('type', REQUIRED),
  2: str('localhostProfile', POINTER),
};

const WindowsSecurityContextOptions: ProtoDescriptor = {
  1: str('gmsaCredentialSpecName', POINTER),
  2: str('gmsaCredentialSpec', POINTER),
  3: str('runAsUserName', POINTER),
  4: bool('hostProcess', POINTER),
};

const SecurityContext: ProtoDescriptor = {
  1: msg('capabilities', Capabilities),
  2: bool('privileged', POINTER),
  3: msg('seLinuxOptions', SELinuxOptions),
  4: int64('runAsUser', POINTER),
  5: bool('runAsNonRoot', POINTER),
  6: bool('readOnlyRootFilesystem', POINTER),
  7: bool('allowPrivilegeEscalation', POINTER),
  8: int64('runAsGroup', POINTER),
  9: str('procMount', POINTER),
  10: msg('windowsOptions', WindowsSecurityContextOptions),
  11: msg('seccompProfile', SecurityProfile),
  12: msg('appArmorProfile', SecurityProfile),
};

const ContainerResizePolicy: ProtoDescriptor = {
  1: str('resourceName', REQUIRED),
  2: str('restartPolicy', REQUIRED),
};

export const Container: ProtoDescriptor = {
  1: str('name', REQUIRED),
  2: str('image'),
  3: strings('command'),
  4: strings('args'),
  5: str('workingDir'),
  6: list('ports', ContainerPort),
  7: list('env', EnvVar),
  8: msg('resources', ResourceRequirements),
  9: list('volumeMounts', VolumeMount),
  10: msg('livenessProbe', Probe),
  11: msg('readinessProbe', Probe),
  12: msg('lifecycle', Lifecycle),
  13: str('terminationMessagePath'),
  14: str('imagePullPolicy'),
  15: msg('securityContext', SecurityContext),
  16: bool('stdin'),
  17: bool('stdinOnce'),
  18: bool('tty'),
  19: list('envFrom', EnvFromSource),
  20: str('terminationMessagePolicy'),
  21: list('volumeDevices', VolumeDevice),
  22: msg('startupProbe', Probe),
  23: list('resizePolicy', ContainerResizePolicy),
  24: str('restartPolicy', POINTER),
};

// ---------------------------------------------------------------------------------------------
// Volumes
// ---------------------------------------------------------------------------------------------

const HostPathVolumeSource: ProtoDescriptor = { 1: str('path', REQUIRED), 2: str('type', POINTER) };

const EmptyDirVolumeSource: ProtoDescriptor = { 1: str('medium'), 2: quantity('sizeLimit') };

const SecretVolumeSource: ProtoDescriptor = {
  1: str('secretName'),
  2: list('items', KeyToPath),
  3: int32('defaultMode', POINTER),
  4: bool('optional', POINTER),
};

const NFSVolumeSource: ProtoDescriptor = {
  1: str('server', REQUIRED),
  2: str('path', REQUIRED),
  3: bool('readOnly'),
};

const PersistentVolumeClaimVolumeSource: ProtoDescriptor = {
  1: str('claimName', REQUIRED),
  2: bool('readOnly'),
};

const DownwardAPIVolumeFile: ProtoDescriptor = {
  1: str('path', REQUIRED),
  2: msg('fieldRef', ObjectFieldSelector),
  3: msg('resourceFieldRef', ResourceFieldSelector),
  4: int32('mode', POINTER),
};

const DownwardAPIVolumeSource: ProtoDescriptor = {
  1: list('items', DownwardAPIVolumeFile),
  2: int32('defaultMode', POINTER),
};

const ConfigMapVolumeSource: ProtoDescriptor = {
  1: inline('localObjectReference', LocalObjectReference),
  2: list('items', KeyToPath),
  3: int32('defaultMode', POINTER),
  4: bool('optional', POINTER),
};

/** SecretProjection and ConfigMapProjection have the same shape. */
const KeyProjection: ProtoDescriptor = {
  1: inline('localObjectReference', LocalObjectReference),
  2: list('items', KeyToPath),
  4: bool('optional', POINTER),
};

const ServiceAccountTokenProjection: ProtoDescriptor = {
  1: str('audience'),
  2: int64('expirationSeconds', POINTER),
  3: str('path', REQUIRED),
};

const VolumeProjection: ProtoDescriptor = {
  1: msg('secret', KeyProjection),
  2: msg('downwardAPI', { 1: list('items', DownwardAPIVolumeFile) }),
  3: msg('configMap', KeyProjection),
  4: msg('serviceAccountToken', ServiceAccountTokenProjection),
};

const ProjectedVolumeSource: ProtoDescriptor = {
  1: list('sources', VolumeProjection),
  2: int32('defaultMode', POINTER),
};

const CSIVolumeSource: ProtoDescriptor = {
  1: str('driver', REQUIRED),
  2: bool('readOnly', POINTER),
  3: str('fsType', POINTER),
  4: stringMap('volumeAttributes'),
  5: msg('nodePublishSecretRef', LocalObjectReference),
};

const ImageVolumeSource: ProtoDescriptor = { 1: str('reference'), 2: str('pullPolicy') };

const VolumeSource: ProtoDescriptor = {
  1: msg('hostPath', HostPathVolumeSource),
  2: msg('emptyDir', EmptyDirVolumeSource),
  6: msg('secret', SecretVolumeSource),
  7: msg('nfs', NFSVolumeSource),
  10: msg('persistentVolumeClaim', PersistentVolumeClaimVolumeSource),
  16: msg('downwardAPI', DownwardAPIVolumeSource),
  19: msg('configMap', ConfigMapVolumeSource),
  26: msg('projected', ProjectedVolumeSource),
  28: msg('csi', CSIVolumeSource),
  30: msg('image', ImageVolumeSource),
};

const Volume: ProtoDescriptor = {
  1: str('name', REQUIRED),
  2: inline('volumeSource', VolumeSource),
};

// ---------------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------------

const Toleration: ProtoDescriptor = {
  1: str('key'),
  2: str('operator'),
  3: str('value'),
  4: str('effect'),
  5: int64('tolerationSeconds', POINTER),
};

const NodeSelectorRequirement: ProtoDescriptor = {
  1: str('key', REQUIRED),
  2: str('operator', REQUIRED),
  3: strings('values'),
};

const NodeSelectorTerm: ProtoDescriptor = {
  1: list('matchExpressions', NodeSelectorRequirement),
  2: list('matchFields', NodeSelectorRequirement),
};

const PreferredSchedulingTerm: ProtoDescriptor = {
  1: int32('weight', REQUIRED),
  2: msg('preference', NodeSelectorTerm),
};

const NodeAffinity: ProtoDescriptor = {
  1: msg('requiredDuringSchedulingIgnoredDuringExecution', {
    1: list('nodeSelectorTerms', NodeSelectorTerm),
  }),
  2: list('preferredDuringSchedulingIgnoredDuringExecution', PreferredSchedulingTerm),
};

const PodAffinityTerm: ProtoDescriptor = {
  1: msg('labelSelector', LabelSelector),
  2: strings('namespaces'),
  3: str('topologyKey', REQUIRED),
  4: msg('namespaceSelector', LabelSelector),
  5: strings('matchLabelKeys'),
  6: strings('mismatchLabelKeys'),
};

/** PodAffinity and PodAntiAffinity have the same shape. */
const PodAffinity: ProtoDescriptor = {
  1: list('requiredDuringSchedulingIgnoredDuringExecution', PodAffinityTerm),
  2: list('preferredDuringSchedulingIgnoredDuringExecution', {
    1: int32('weight', REQUIRED),
    2: msg('podAffinityTerm', PodAffinityTerm),
  }),
};

const Affinity: ProtoDescriptor = {
  1: msg('nodeAffinity', NodeAffinity),
  2: msg('podAffinity', PodAffinity),
  3: msg('podAntiAffinity', PodAffinity),
};

const TopologySpreadConstraint: ProtoDescriptor = {
  1: int32('maxSkew', REQUIRED),
  2: str('topologyKey', REQUIRED),
  3: str('whenUnsatisfiable', REQUIRED),
  4: msg('labelSelector', LabelSelector),
  5: int32('minDomains', POINTER),
  6: str('nodeAffinityPolicy', POINTER),
  7: str('nodeTaintsPolicy', POINTER),
  8: strings('matchLabelKeys'),
};

// ---------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------

const PodSecurityContext: ProtoDescriptor = {
  1: msg('seLinuxOptions', SELinuxOptions),
  2: int64('runAsUser', POINTER),
  3: bool('runAsNonRoot', POINTER),
  4: int64s('supplementalGroups'),
  5: int64('fsGroup', POINTER),
  6: int64('runAsGroup', POINTER),
  7: list('sysctls', { 1: str('name', REQUIRED), 2: str('value', REQUIRED) }),
  8: msg('windowsOptions', WindowsSecurityContextOptions),
  9: str('fsGroupChangePolicy', POINTER),
  10: msg('seccompProfile', SecurityProfile),
  11: msg('appArmorProfile', SecurityProfile),
  12: str('supplementalGroupsPolicy', POINTER),
  13: str('seLinuxChangePolicy', POINTER),
};

const PodDNSConfig: ProtoDescriptor = {
  1: strings('nameservers'),
  2: strings('searches'),
  3: list('options', { 1: str('name'), 2: str('value', POINTER) }),
};

export const PodSpec: ProtoDescriptor = {
  1: list('volumes', Volume),
  2: list('containers', Container),
  3: str('restartPolicy'),
  4: int64('terminationGracePeriodSeconds', POINTER),
  5: int64('activeDeadlineSeconds', POINTER),
  6: str('dnsPolicy'),
  7: stringMap('nodeSelector'),
  8: str('serviceAccountName'),
  9: str('serviceAccount'),
  10: str('nodeName'),
  11: bool('hostNetwork'),
  12: bool('hostPID'),
  13: bool('hostIPC'),
  14: msg('securityContext', PodSecurityContext),
  15: list('imagePullSecrets', LocalObjectReference),
  16: str('hostname'),
  17: str('subdomain'),
  18: msg('affinity', Affinity),
  19: str('schedulerName'),
  20: list('initContainers', Container),
  21: bool('automountServiceAccountToken', POINTER),
  22: list('tolerations', Toleration),
  23: list('hostAliases', { 1: str('ip', REQUIRED), 2: strings('hostnames') }),
  24: str('priorityClassName'),
  25: int32('priority', POINTER),
  26: msg('dnsConfig', PodDNSConfig),
  27: bool('shareProcessNamespace', POINTER),
  28: list('readinessGates', { 1: str('conditionType', REQUIRED) }),
  29: str('runtimeClassName', POINTER),
  30: bool('enableServiceLinks', POINTER),
  31: str('preemptionPolicy', POINTER),
  32: quantityMap('overhead'),
  33: list('topologySpreadConstraints', TopologySpreadConstraint),
  35: bool('setHostnameAsFQDN', POINTER),
  36: msg('os', { 1: str('name', REQUIRED) }),
  37: bool('hostUsers', POINTER),
  38: list('schedulingGates', { 1: str('name', REQUIRED) }),
  39: list('resourceClaims', {
    1: str('name', REQUIRED),
    3: str('resourceClaimName', POINTER),
    4: str('resourceClaimTemplateName', POINTER),
  }),
  40: msg('resources', ResourceRequirements),
};

export const PodTemplateSpec: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', PodSpec),
};

const PodCondition: ProtoDescriptor = {
  1: str('type', REQUIRED),
  2: str('status', REQUIRED),
  3: time('lastProbeTime'),
  4: time('lastTransitionTime'),
  5: str('reason'),
  6: str('message'),
  7: int64('observedGeneration'),
};

const IP: ProtoDescriptor = { 1: str('ip', REQUIRED) };

/** The pod-level part of the status; container statuses are not decoded. */
const PodStatus: ProtoDescriptor = {
  1: str('phase'),
  2: list('conditions', PodCondition),
  3: str('message'),
  4: str('reason'),
  5: str('hostIP'),
  6: str('podIP'),
  7: time('startTime'),
  9: str('qosClass'),
  11: str('nominatedNodeName'),
  12: list('podIPs', IP),
  16: list('hostIPs', IP),
  17: int64('observedGeneration'),
};

export const Pod: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', PodSpec),
  3: msg('status', PodStatus),
};

// ---------------------------------------------------------------------------------------------
// Namespaces, services, quotas, limit ranges, config maps
// ---------------------------------------------------------------------------------------------

export const Namespace: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', { 1: strings('finalizers') }),
  3: msg('status', {
    1: str('phase'),
    2: list('conditions', {
      1: str('type', REQUIRED),
      2: str('status', REQUIRED),
      4: time('lastTransitionTime'),
      5: str('reason'),
      6: str('message'),
    }),
  }),
};

const ServicePort: ProtoDescriptor = {
  1: str('name'),
  2: str('protocol'),
  3: int32('port', REQUIRED),
  4: intOrString('targetPort'),
  5: int32('nodePort'),
  6: str('appProtocol', POINTER),
};

const ServiceSpec: ProtoDescriptor = {
  1: list('ports', ServicePort),
  2: stringMap('selector'),
  3: str('clusterIP'),
  4: str('type'),
  5: strings('externalIPs'),
  7: str('sessionAffinity'),
  8: str('loadBalancerIP'),
  9: strings('loadBalancerSourceRanges'),
  10: str('externalName'),
  11: str('externalTrafficPolicy'),
  12: int32('healthCheckNodePort'),
  13: bool('publishNotReadyAddresses'),
  14: msg('sessionAffinityConfig', {
    1: msg('clientIP', { 1: int32('timeoutSeconds', POINTER) }),
  }),
  17: str('ipFamilyPolicy', POINTER),
  18: strings('clusterIPs'),
  19: strings('ipFamilies'),
  20: bool('allocateLoadBalancerNodePorts', POINTER),
  21: str('loadBalancerClass', POINTER),
  22: str('internalTrafficPolicy', POINTER),
  23: str('trafficDistribution', POINTER),
};

const LoadBalancerIngress: ProtoDescriptor = {
  1: str('ip'),
  2: str('hostname'),
  3: str('ipMode', POINTER),
  4: list('ports', {
    1: int32('port', REQUIRED),
    2: str('protocol', REQUIRED),
    3: str('error', POINTER),
  }),
};

export const Service: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', ServiceSpec),
  3: msg('status', {
    1: msg('loadBalancer', { 1: list('ingress', LoadBalancerIngress) }),
    2: list('conditions', Condition),
  }),
};

export const ResourceQuota: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', {
    1: quantityMap('hard'),
    2: strings('scopes'),
    3: msg('scopeSelector', {
      1: list('matchExpressions', {
        1: str('scopeName', REQUIRED),
        2: str('operator', REQUIRED),
        3: strings('values'),
      }),
    }),
  }),
  3: msg('status', { 1: quantityMap('hard'), 2: quantityMap('used') }),
};

const LimitRangeItem: ProtoDescriptor = {
  1: str('type', REQUIRED),
  2: quantityMap('max'),
  3: quantityMap('min'),
  4: quantityMap('default'),
  5: quantityMap('defaultRequest'),
  6: quantityMap('maxLimitRequestRatio'),
};

export const LimitRange: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: msg('spec', { 1: list('limits', LimitRangeItem) }),
};

export const ConfigMap: ProtoDescriptor = {
  1: msg('metadata', ObjectMeta),
  2: stringMap('data'),
  3: bytesMap('binaryData'),
  4: bool('immutable', POINTER),
};
