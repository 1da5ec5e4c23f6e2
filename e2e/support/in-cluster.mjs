/* global process, console */
// Runs inside a pod (e2e/in-cluster.e2e-spec.ts): @kubernetes/client-node's in-cluster
// configuration (KUBERNETES_SERVICE_HOST/PORT and the files of the service account token
// volume), then lists the pods of its own namespace and of `other` (argv[2]). Prints one
// JSON report on stdout; the spec reads it with `kubectl logs`.
import { existsSync, readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';

const DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const other = process.argv[2];
const report = {
  server: `${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`,
  files: ['token', 'ca.crt', 'namespace'].filter((f) => existsSync(`${DIR}/${f}`)),
};
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromCluster();
  const namespace = readFileSync(`${DIR}/namespace`, 'utf8');
  report.namespace = namespace;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const own = await core.listNamespacedPod({ namespace });
  report.ownPods = own.items.map((p) => p.metadata?.name).sort();
  report.otherStatus = await core.listNamespacedPod({ namespace: other }).then(
    () => 200,
    (e) => (e instanceof k8s.ApiException ? e.code : String(e)),
  );
} catch (err) {
  report.error = String(err?.stack ?? err);
}
console.log(JSON.stringify(report));
