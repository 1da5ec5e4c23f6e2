/* global process, setTimeout, Buffer, console */
// Drives the API with @kubernetes/client-node (ESM only, so not loadable by the e2e jest
// project): node e2e/support/client-node.mjs <kubeconfig> <namespace> <other-namespace>.
// Prints one JSON report of what the client saw; the e2e spec asserts on it.
import * as k8s from '@kubernetes/client-node';

const [file, ns, other] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(file);
const core = kc.makeApiClient(k8s.CoreV1Api);
const report = {};
const code = async (p) =>
  p.then(
    () => 200,
    (e) => (e instanceof k8s.ApiException ? e.code : String(e)),
  );

const created = await core.createNamespacedConfigMap({
  namespace: ns,
  body: { metadata: { name: 'settings' }, data: { mode: 'one' } },
});
report.created = { name: created.metadata?.name, data: created.data };
const list = await core.listNamespacedConfigMap({ namespace: ns });
report.listed = list.items.map((c) => c.metadata?.name).sort();

const events = [];
let watchErr = null;
const seen = (pred) =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const tick = () => {
      if (events.some(pred)) return resolve();
      if (Date.now() > deadline)
        return reject(new Error(`no such event in ${JSON.stringify(events)}`));
      setTimeout(tick, 50);
    };
    tick();
  });
const ctl = await new k8s.Watch(kc).watch(
  `/api/v1/namespaces/${ns}/configmaps`,
  {},
  (type, obj) => events.push({ type, name: obj?.metadata?.name, mode: obj?.data?.mode }),
  (err) => (watchErr = err ? String(err) : null),
);
await seen((e) => e.type === 'ADDED' && e.name === 'settings');
const patched = await core.patchNamespacedConfigMap(
  { name: 'settings', namespace: ns, body: { data: { mode: 'two' } } },
  k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
);
report.patched = patched.data;
await seen((e) => e.type === 'MODIFIED' && e.mode === 'two');
// The watch stayed open through the patch: no error before the client's own abort.
report.watchErr = watchErr;
ctl.abort();
report.events = events.filter((e) => e.name === 'settings');

await core.createNamespacedSecret({
  namespace: ns,
  body: { metadata: { name: 'creds' }, stringData: { password: 's3cret' } },
});
const secret = await core.readNamespacedSecret({ name: 'creds', namespace: ns });
report.secret = Object.fromEntries(
  Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
);
report.otherList = await code(core.listNamespacedConfigMap({ namespace: other }));
console.log(JSON.stringify(report));
