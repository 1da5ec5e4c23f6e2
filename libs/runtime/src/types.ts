/**
 * The container runtime interface (Berth's CRI): what the node agent asks of a runtime.
 * A runtime owns a pod's whole life on the node — starting its containers, restarting
 * them per `restartPolicy` (with CrashLoopBackOff), running probes, capturing logs and
 * stopping them gracefully — and reports status; the agent decides which pods should run
 * and writes their status to the API.
 *
 * Implementations: `process` (real child processes), `simulated` (hollow pods for scale
 * tests), `docker` (Docker Engine API). All are in this package.
 */
import type { Readable } from 'node:stream';
import type { RuntimeVolume, RuntimeVolumeMount } from './volumes';

/** Kubernetes' Probe, as in the pod spec (only the fields Berth acts on). */
export interface ProbeSpec {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: 'HTTP' | 'HTTPS' };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** The `securityContext` fields the runtimes act on (pod or container level). */
export interface RuntimeSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  privileged?: boolean;
}

/** A container of the pod spec, as the runtime needs it. */
export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  /**
   * `env` was resolved by the agent (valueFrom, envFrom, service links, `$(VAR)` already
   * expanded, as the kubelet does): its values are final and not expanded again.
   */
  envResolved?: boolean;
  workingDir?: string;
  ports?: Array<{
    name?: string;
    containerPort: number;
    protocol?: string;
    /** Publish on exactly this node port (Kubernetes' hostPort) rather than a chosen one. */
    hostPort?: number;
    hostIP?: string;
  }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  securityContext?: RuntimeSecurityContext;
  volumeMounts?: RuntimeVolumeMount[];
}

/** A pod the agent wants running (from the API object; `uid` is the identity). */
export interface PodSpecForRuntime {
  uid: string;
  namespace: string;
  name: string;
  containers: ContainerSpec[];
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds: number;
  securityContext?: RuntimeSecurityContext;
  /** The pod's volumes (emptyDir, and the files of configMap/secret/downwardAPI/projected). */
  volumes?: RuntimeVolume[];
}

/** Kubernetes' ContainerState: exactly one of the three is set. */
export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: {
    exitCode: number;
    reason: string;
    message?: string;
    signal?: number;
    startedAt?: string;
    finishedAt: string;
  };
}

/** Kubernetes' ContainerStatus, plus the node ports a container's ports are published on. */
export interface ContainerStatusReport {
  name: string;
  image: string;
  containerID?: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** containerPort → the port on the node where it is reachable (process runtime). */
  hostPorts?: Record<number, number>;
}

/** What a runtime knows of one pod. */
export interface PodStatusReport {
  uid: string;
  namespace: string;
  name: string;
  /** Pending, Running, Succeeded or Failed (Kubernetes' pod phase rules). */
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  startTime?: string;
  /** The node address the pod's ports are reachable on. */
  podIP?: string;
  containerStatuses: ContainerStatusReport[];
}

export interface LogOptions {
  container: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  /** The previous (terminated) instance of the container. */
  previous?: boolean;
}

/** What a runtime logs to (the agent's logger fits). */
export interface RuntimeLogger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export interface Runtime {
  readonly name: 'process' | 'simulated' | 'docker';
  /** Starts the pod if it is not running (idempotent: the same uid is never started twice). */
  runPod(pod: PodSpecForRuntime): Promise<void>;
  /**
   * Rewrites the files of a running pod's configMap/secret/downwardAPI/projected volumes
   * (a source changed); the containers see them at once. Absent: the runtime keeps none.
   */
  updateVolumes?(uid: string, volumes: RuntimeVolume[]): void;
  /** Stops every container of the pod (SIGTERM, grace period, then SIGKILL) and forgets it. */
  stopPod(uid: string, gracePeriodSeconds?: number): Promise<void>;
  /** Everything the runtime runs (after an agent restart: what it can re-adopt). */
  listPods(): Promise<PodStatusReport[]>;
  podStatus(uid: string): PodStatusReport | undefined;
  /** A container's log (a stream that stays open with `follow`). */
  logs(uid: string, opts: LogOptions): Promise<Readable>;
  /** Called whenever a pod's status changed, so the agent can report it. */
  onChange(listener: (uid: string) => void): void;
  /** Stops watching (running pods keep running unless `stopPods`). */
  close(opts?: { stopPods?: boolean }): Promise<void>;
}
