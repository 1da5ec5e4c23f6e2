import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caCertPem: string;
  token: string;
  /** Cluster, user and context name. */
  name: string;
  namespace?: string;
}

/** A kubeconfig document (as YAML) that trusts Berth's CA and carries a bearer token. */
export function renderKubeconfig(input: KubeconfigInput): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: input.name,
        cluster: {
          server: input.server,
          'certificate-authority-data': Buffer.from(input.caCertPem).toString('base64'),
        },
      },
    ],
    users: [{ name: input.name, user: { token: input.token } }],
    contexts: [
      {
        name: input.name,
        context: {
          cluster: input.name,
          user: input.name,
          ...(input.namespace ? { namespace: input.namespace } : {}),
        },
      },
    ],
    'current-context': input.name,
    preferences: {},
  });
}

export function writeKubeconfig(file: string, input: KubeconfigInput): string {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(path.dirname(file), 0o700);
  writeFileSync(file, renderKubeconfig(input), { mode: 0o600 });
  chmodSync(file, 0o600); // the mode above applies only to a new file
  return file;
}
