/**
 * A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go
 * makeEnvironmentVariables): envFrom sources first, then `env` entries (overriding them),
 * then the service link variables no entry defined. `$(VAR)` in an `env` value expands
 * against what was defined before it and the service variables.
 *
 * The kubelet collects the variables in a map (so its order is unspecified); here the
 * order is: envFrom sources in order (each source's keys sorted), then `env` in order —
 * a name defined again keeps its first position and takes the new value — then the
 * service variables. Errors are the kubelet's messages (what `kubectl describe pod`
 * shows after "Error: ", with reason CreateContainerConfigError).
 */
import type { KubeObject } from '../api/types';
import { arr, obj, str, type JsonObject } from '../resources/util';
import { expandVars } from './expand';
import { containerResourceValue, findContainer, podFieldValue, type NodeInfo } from './field-refs';
import { serviceLinkEnv, type EnvVar } from './service-env';

export type { EnvVar } from './service-env';

/** A ConfigMap or Secret as the kubelet's cache hands it over: values already decoded. */
export interface ConfigData {
  data?: Record<string, string>;
  binaryData?: Record<string, Buffer>;
}
export interface SecretData {
  data?: Record<string, Buffer>;
}

/** Reads ConfigMaps and Secrets of a namespace; `undefined` means not found. */
export interface ConfigLookup {
  configMap(namespace: string, name: string): ConfigData | undefined;
  secret(namespace: string, name: string): SecretData | undefined;
}

export type EnvErrorReason =
  | 'ConfigMapNotFound'
  | 'SecretNotFound'
  | 'ConfigMapKeyNotFound'
  | 'SecretKeyNotFound'
  | 'FieldRefInvalid'
  | 'ResourceFieldRefInvalid';

export interface EnvError {
  reason: EnvErrorReason;
  /** The kubelet's message, e.g. `couldn't find key db in ConfigMap default/app`. */
  message: string;
  /** Where in the container spec: `env[2].valueFrom.configMapKeyRef`, `envFrom[0].secretRef`. */
  field: string;
}

export interface EnvInput {
  pod: KubeObject;
  container: JsonObject;
  lookup: ConfigLookup;
  /** Services to derive link variables from (all namespaces; filtered here). */
  services?: readonly KubeObject[];
  node?: NodeInfo;
  /** The pod's IPs as the runtime reports them (else the pod's status is used). */
  podIPs?: string[];
}

export type EnvResult =
  | {
      ok: true;
      env: EnvVar[];
      /**
       * The kubelet's InvalidEnvironmentVariableNames warnings: envFrom keys skipped as
       * invalid names (to be recorded as Warning events on the pod).
       */
      warnings: string[];
    }
  | { ok: false; error: EnvError };

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** validation.IsEnvVarName (without the relaxed-names feature). */
export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

const optional = (ref: JsonObject) => ref.optional === true;

export function resolveContainerEnv(input: EnvInput): EnvResult {
  const { pod, container, lookup } = input;
  const namespace = str(obj(pod.metadata).namespace);
  const spec = obj(pod.spec);
  // enableServiceLinks defaults to true.
  const serviceEnv = serviceLinkEnv(
    input.services ?? [],
    namespace,
    spec.enableServiceLinks !== false,
  );
  const tmpEnv = new Map<string, string>();
  const warnings: string[] = [];
  const configMaps = new Map<string, ConfigData | undefined>();
  const secrets = new Map<string, SecretData | undefined>();
  const getConfigMap = (n: string) => {
    if (!configMaps.has(n)) configMaps.set(n, lookup.configMap(namespace, n));
    return configMaps.get(n);
  };
  const getSecret = (n: string) => {
    if (!secrets.has(n)) secrets.set(n, lookup.secret(namespace, n));
    return secrets.get(n);
  };
  const fail = (reason: EnvErrorReason, message: string, field: string): EnvResult => ({
    ok: false,
    error: { reason, message, field },
  });

  for (const [i, raw] of arr(container.envFrom).entries()) {
    const envFrom = obj(raw);
    const prefix = str(envFrom.prefix);
    let values: Array<[string, string]>;
    let what: string;
    let refName: string;
    if (envFrom.configMapRef !== undefined) {
      const ref = obj(envFrom.configMapRef);
      refName = str(ref.name);
      const cm = getConfigMap(refName);
      if (!cm) {
        if (optional(ref)) continue;
        return fail(
          'ConfigMapNotFound',
          `configmap "${refName}" not found`,
          `envFrom[${i}].configMapRef`,
        );
      }
      values = Object.entries(cm.data ?? {});
      what = 'configMap';
    } else if (envFrom.secretRef !== undefined) {
      const ref = obj(envFrom.secretRef);
      refName = str(ref.name);
      const secret = getSecret(refName);
      if (!secret) {
        if (optional(ref)) continue;
        return fail('SecretNotFound', `secret "${refName}" not found`, `envFrom[${i}].secretRef`);
      }
      values = Object.entries(secret.data ?? {}).map(([k, v]) => [k, v.toString('utf8')]);
      what = 'secret';
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [key, value] of values.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const k = prefix + key;
      if (!isEnvVarName(k)) {
        invalid.push(k);
        continue;
      }
      tmpEnv.set(k, value);
    }
    if (invalid.length > 0) {
      warnings.push(
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} ${namespace}/${refName} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  const mapping = (n: string) => tmpEnv.get(n) ?? serviceEnv.get(n);
  for (const [i, raw] of arr(container.env).entries()) {
    const envVar = obj(raw);
    const name = str(envVar.name);
    let value = str(envVar.value);
    const at = `env[${i}].valueFrom`;
    if (value !== '') {
      value = expandVars(value, mapping);
    } else if (envVar.valueFrom !== undefined) {
      const from = obj(envVar.valueFrom);
      if (from.fieldRef !== undefined) {
        try {
          value = podFieldValue(pod, obj(from.fieldRef), input.node, input.podIPs);
        } catch (err) {
          return fail('FieldRefInvalid', (err as Error).message, `${at}.fieldRef`);
        }
      } else if (from.resourceFieldRef !== undefined) {
        try {
          // containerResourceRuntimeValue: another container's resources when named.
          const ref = obj(from.resourceFieldRef);
          const target = str(ref.containerName)
            ? findContainer(pod, str(ref.containerName))
            : container;
          value = containerResourceValue(ref, target, input.node);
        } catch (err) {
          return fail('ResourceFieldRefInvalid', (err as Error).message, `${at}.resourceFieldRef`);
        }
      } else if (from.configMapKeyRef !== undefined) {
        const ref = obj(from.configMapKeyRef);
        const refName = str(ref.name);
        const key = str(ref.key);
        const cm = getConfigMap(refName);
        if (!cm) {
          if (optional(ref)) continue;
          return fail(
            'ConfigMapNotFound',
            `configmap "${refName}" not found`,
            `${at}.configMapKeyRef`,
          );
        }
        if (!Object.hasOwn(cm.data ?? {}, key)) {
          if (optional(ref)) continue;
          return fail(
            'ConfigMapKeyNotFound',
            `couldn't find key ${key} in ConfigMap ${namespace}/${refName}`,
            `${at}.configMapKeyRef`,
          );
        }
        value = cm.data![key]!;
      } else if (from.secretKeyRef !== undefined) {
        const ref = obj(from.secretKeyRef);
        const refName = str(ref.name);
        const key = str(ref.key);
        const secret = getSecret(refName);
        if (!secret) {
          if (optional(ref)) continue;
          return fail('SecretNotFound', `secret "${refName}" not found`, `${at}.secretKeyRef`);
        }
        if (!Object.hasOwn(secret.data ?? {}, key)) {
          if (optional(ref)) continue;
          return fail(
            'SecretKeyNotFound',
            `couldn't find key ${key} in Secret ${namespace}/${refName}`,
            `${at}.secretKeyRef`,
          );
        }
        value = secret.data![key]!.toString('utf8');
      }
    }
    tmpEnv.set(name, value);
  }

  const env: EnvVar[] = [...tmpEnv].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!tmpEnv.has(name)) env.push({ name, value });
  return { ok: true, env, warnings };
}
