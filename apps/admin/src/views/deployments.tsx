import {
  Alert,
  Box,
  Button as MuiButton,
  Card,
  CardContent,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  LinearProgress,
  Stack,
  Tab,
  Tabs,
  TextField as MuiTextField,
  Typography,
} from '@mui/material';
import { useRef, useState } from 'react';
import {
  Create,
  Datagrid,
  DeleteWithConfirmButton,
  FunctionField,
  List,
  NumberInput,
  Show,
  SimpleForm,
  TextField,
  TextInput,
  Title,
  TopToolbar,
  required,
  useCanAccess,
  useGetList,
  useNotify,
  useRecordContext,
  useRedirect,
  useRefresh,
} from 'react-admin';
import { parseAllDocuments } from 'yaml';
import { idOf, RESOURCES, type KubeObject } from '../api';
import {
  Age,
  Empty,
  NamespaceInput,
  PodStatusChip,
  Section,
  restartsOf,
  useShowErrors,
  ObjectEvents,
  NameField,
  ListActions,
} from '../components/common';
import { dataProvider } from '../dataProvider';
import { useLive } from '../live';

const REVISION = 'deployment.kubernetes.io/revision';

export function selectorString(match?: Record<string, string>): string {
  return Object.entries(match ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

const images = (d: KubeObject) =>
  ((d.spec?.template?.spec?.containers ?? []) as Array<{ image: string }>)
    .map((c) => c.image)
    .join(', ');

function ReadyCell({ record }: { record: KubeObject }) {
  const want = record.spec?.replicas ?? 1;
  const ready = record.status?.readyReplicas ?? 0;
  return (
    <Chip
      size="small"
      data-testid="deployment-ready"
      label={`${ready}/${want}`}
      color={ready >= want ? 'success' : 'warning'}
    />
  );
}

export function DeploymentList() {
  useLive('deployments');
  return (
    <List
      actions={<ListActions />}
      empty={false}
      sort={{ field: 'metadata.name', order: 'ASC' }}
      perPage={50}
      filters={[
        <NamespaceInput key="ns" alwaysOn />,
        <TextInput key="q" source="q" label="Name" alwaysOn />,
      ]}
    >
      <Datagrid
        rowClick="show"
        bulkActionButtons={false}
        empty={<Empty>No deployments yet. Create one from a form or paste YAML.</Empty>}
      >
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <FunctionField label="Ready" render={(r: KubeObject) => <ReadyCell record={r} />} />
        <TextField source="status.updatedReplicas" label="Up-to-date" emptyText="0" />
        <TextField source="status.availableReplicas" label="Available" emptyText="0" />
        <FunctionField label="Images" render={images} />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(r: KubeObject) => <Age record={r} />}
        />
      </Datagrid>
    </List>
  );
}

const EXAMPLE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            requests: { cpu: 100m, memory: 64Mi }
`;

/** Paste one or more manifests (YAML or JSON); each is created in the chosen namespace. */
function YamlCreate() {
  const [text, setText] = useState(EXAMPLE);
  const [namespace, setNamespace] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const notify = useNotify();
  const redirect = useRedirect();
  const namespaces = useGetList('namespaces', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
  });
  const nsChoices = (namespaces.data ?? []).map((n) => n.metadata.name as string);
  const ns = namespace || nsChoices[0] || '';
  const submit = async () => {
    setError(undefined);
    setBusy(true);
    try {
      const docs = parseAllDocuments(text);
      const created: KubeObject[] = [];
      for (const doc of docs) {
        if (doc.errors.length) throw new Error(`YAML: ${doc.errors[0].message}`);
        const m = doc.toJS() as KubeObject | null;
        if (!m) continue;
        m.metadata = { ...m.metadata, namespace: m.metadata?.namespace ?? ns };
        created.push(await dataProvider.apply(m));
      }
      notify(`Created ${created.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`, {
        type: 'success',
      });
      // To the Deployment created, else to the first object's page.
      const first = created.find((o) => o.kind === 'Deployment') ?? created[0];
      const resource = first
        ? Object.keys(RESOURCES).find((r) => RESOURCES[r].kind === first.kind)
        : undefined;
      redirect(
        first && resource ? `/${resource}/${encodeURIComponent(idOf(first))}/show` : '/deployments',
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Stack spacing={2} sx={{ p: 2 }}>
      <MuiTextField
        select
        label="Namespace (unless the manifest names one)"
        value={ns}
        onChange={(e) => setNamespace(e.target.value)}
        slotProps={{ select: { native: true } }}
        sx={{ maxWidth: 360 }}
      >
        {nsChoices.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </MuiTextField>
      <MuiTextField
        label="Manifest (YAML or JSON; several documents separated by ---)"
        multiline
        minRows={14}
        value={text}
        onChange={(e) => setText(e.target.value)}
        slotProps={{
          htmlInput: {
            'data-testid': 'yaml-input',
            spellCheck: false,
            style: { fontFamily: 'monospace' },
          },
        }}
      />
      {error ? (
        <Alert severity="error" data-testid="yaml-error">
          {error}
        </Alert>
      ) : null}
      <Box>
        <MuiButton variant="contained" onClick={submit} disabled={busy || !ns}>
          Create from YAML
        </MuiButton>
      </Box>
    </Stack>
  );
}

function FormCreate() {
  const notify = useNotify();
  const redirect = useRedirect();
  // The port to expose with a Service of the same name, kept from the form for onSuccess.
  const expose = useRef<{ port?: number }>({});
  return (
    <Create
      resource="deployments"
      title=" "
      mutationOptions={{
        onSuccess: async (created: KubeObject & { id: string }) => {
          const port = expose.current.port;
          let also = '';
          if (port) {
            try {
              await dataProvider.create('services', {
                data: {
                  metadata: { name: created.metadata.name, namespace: created.metadata.namespace },
                  spec: {
                    selector: { app: created.metadata.name },
                    ports: [{ port, targetPort: port }],
                  },
                },
              });
              also = ` and Service ${created.metadata.name} on port ${port}`;
            } catch (err) {
              notify(`Deployment created; the Service was not: ${(err as Error).message}`, {
                type: 'warning',
              });
              redirect('show', 'deployments', created.id);
              return;
            }
          }
          notify(`Created Deployment ${created.metadata.name}${also}`, { type: 'success' });
          redirect('show', 'deployments', created.id);
        },
      }}
      transform={(d: Record<string, string | number>) => {
        expose.current.port = d.port ? Number(d.port) : undefined;
        return {
          metadata: { name: d.name, namespace: d.namespace },
          spec: {
            replicas: Number(d.replicas ?? 1),
            selector: { matchLabels: { app: d.name } },
            template: {
              metadata: { labels: { app: d.name } },
              spec: {
                containers: [
                  {
                    name: String(d.name),
                    image: d.image,
                    ...(d.port ? { ports: [{ containerPort: Number(d.port) }] } : {}),
                    ...(d.cpu || d.memory
                      ? {
                          resources: {
                            requests: {
                              ...(d.cpu ? { cpu: d.cpu } : {}),
                              ...(d.memory ? { memory: d.memory } : {}),
                            },
                          },
                        }
                      : {}),
                  },
                ],
              },
            },
          },
        };
      }}
    >
      <SimpleForm defaultValues={{ replicas: 1 }}>
        <NamespaceInput validate={required()} />
        <TextInput source="name" validate={required()} />
        <TextInput source="image" validate={required()} helperText="e.g. nginx:1.27" />
        <NumberInput source="replicas" min={0} />
        <TextInput source="cpu" label="CPU request" helperText="e.g. 100m" />
        <TextInput source="memory" label="Memory request" helperText="e.g. 128Mi" />
        <NumberInput
          source="port"
          label="Expose port (optional)"
          helperText="Also creates a Service of the same name, selecting these pods"
          min={1}
          max={65535}
        />
      </SimpleForm>
    </Create>
  );
}

export function DeploymentCreate() {
  const [tab, setTab] = useState(0);
  return (
    <Card sx={{ mt: 2 }}>
      <Title title="Create a deployment" />
      <Tabs value={tab} onChange={(_, v) => setTab(v)} aria-label="How to create">
        <Tab label="Form" />
        <Tab label="YAML" data-testid="yaml-tab" />
      </Tabs>
      {tab === 0 ? <FormCreate /> : <YamlCreate />}
    </Card>
  );
}

function useAction() {
  const notify = useNotify();
  const refresh = useRefresh();
  return async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      notify(what, { type: 'success' });
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
}

function ScaleControl({ record }: { record: KubeObject & { id: string } }) {
  const [n, setN] = useState<string>(String(record.spec?.replicas ?? 1));
  const act = useAction();
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      <MuiTextField
        size="small"
        type="number"
        label="Replicas"
        value={n}
        onChange={(e) => setN(e.target.value)}
        slotProps={{ htmlInput: { min: 0, 'data-testid': 'scale-input' } }}
        sx={{ width: 110 }}
      />
      <MuiButton
        variant="outlined"
        onClick={() =>
          act(`Scaled to ${n}`, () =>
            dataProvider.patch(
              'deployments',
              record.id,
              { spec: { replicas: Number(n) } },
              { subresource: 'scale' },
            ),
          )
        }
      >
        Scale
      </MuiButton>
    </Stack>
  );
}

function EditDialog({
  record,
  onClose,
}: {
  record: KubeObject & { id: string };
  onClose: () => void;
}) {
  const c0 = (record.spec?.template?.spec?.containers ?? [])[0] ?? {};
  const [image, setImage] = useState<string>(c0.image ?? '');
  const [replicas, setReplicas] = useState<string>(String(record.spec?.replicas ?? 1));
  const [cpu, setCpu] = useState<string>(c0.resources?.requests?.cpu ?? '');
  const [memory, setMemory] = useState<string>(c0.resources?.requests?.memory ?? '');
  const act = useAction();
  const save = () =>
    act('Deployment updated: a rollout starts', async () => {
      await dataProvider.patch(
        'deployments',
        record.id,
        {
          spec: {
            replicas: Number(replicas),
            template: {
              spec: {
                containers: [
                  {
                    name: c0.name,
                    image,
                    resources: {
                      requests: { cpu: cpu || null, memory: memory || null },
                    },
                  },
                ],
              },
            },
          },
        },
        { contentType: 'application/strategic-merge-patch+json' },
      );
      onClose();
    });
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Edit {record.metadata.name}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <MuiTextField
            label={`Image of ${c0.name}`}
            value={image}
            onChange={(e) => setImage(e.target.value)}
          />
          <MuiTextField
            label="Replicas"
            type="number"
            value={replicas}
            onChange={(e) => setReplicas(e.target.value)}
          />
          <MuiTextField label="CPU request" value={cpu} onChange={(e) => setCpu(e.target.value)} />
          <MuiTextField
            label="Memory request"
            value={memory}
            onChange={(e) => setMemory(e.target.value)}
          />
        </Stack>
      </DialogContent>
      <DialogActions>
        <MuiButton onClick={onClose}>Cancel</MuiButton>
        <MuiButton variant="contained" onClick={save}>
          Save
        </MuiButton>
      </DialogActions>
    </Dialog>
  );
}

function DeploymentActions() {
  const record = useRecordContext<KubeObject & { id: string }>();
  const [editing, setEditing] = useState(false);
  const act = useAction();
  const patch = useCanAccess({ action: 'patch', resource: 'deployments', record });
  const scale = useCanAccess({ action: 'patch', resource: 'deployments/scale', record });
  const del = useCanAccess({ action: 'delete', resource: 'deployments', record });
  const canPatch = patch.canAccess;
  // Tests (and people) can tell "no buttons" from "not decided yet".
  const decided = !!record && !patch.isPending && !scale.isPending && !del.isPending;
  const rs = useGetList(
    'replicasets',
    {
      pagination: { page: 1, perPage: 1000 },
      sort: { field: 'id', order: 'ASC' },
      filter: { namespace: record?.metadata.namespace },
    },
    { enabled: !!record },
  );
  if (!record) return <TopToolbar />;
  const mine = (rs.data ?? []).filter((r) =>
    r.metadata.ownerReferences?.some((o: { uid: string }) => o.uid === record.metadata.uid),
  );
  const current = Number(record.metadata.annotations?.[REVISION] ?? 0);
  const previous = mine
    .filter((r) => Number(r.metadata.annotations?.[REVISION] ?? 0) < current)
    .sort(
      (a, b) =>
        Number(b.metadata.annotations?.[REVISION]) - Number(a.metadata.annotations?.[REVISION]),
    )[0];
  const rollback = () =>
    act(`Rolled back to revision ${previous!.metadata.annotations?.[REVISION]}`, () => {
      const template = structuredClone(previous!.spec.template);
      delete template.metadata?.labels?.['pod-template-hash'];
      return dataProvider.patch(
        'deployments',
        record.id,
        [{ op: 'replace', path: '/spec/template', value: template }],
        {
          contentType: 'application/json-patch+json',
        },
      );
    });
  return (
    <TopToolbar
      sx={{ flexWrap: 'wrap', gap: 1, alignItems: 'center' }}
      data-testid="deployment-actions"
      data-decided={decided}
    >
      {scale.canAccess ? <ScaleControl key={record.spec?.replicas} record={record} /> : null}
      {canPatch ? (
        <>
          <MuiButton onClick={() => setEditing(true)}>Edit</MuiButton>
          <MuiButton
            onClick={() =>
              act('Restarting: pods are replaced one by one', () =>
                dataProvider.patch('deployments', record.id, {
                  spec: {
                    template: {
                      metadata: {
                        annotations: {
                          'kubectl.kubernetes.io/restartedAt': new Date().toISOString(),
                        },
                      },
                    },
                  },
                }),
              )
            }
          >
            Restart
          </MuiButton>
          <MuiButton
            disabled={!previous}
            onClick={rollback}
            title={previous ? '' : 'No earlier revision'}
          >
            Roll back
          </MuiButton>
        </>
      ) : null}
      {del.canAccess ? (
        <DeleteWithConfirmButton mutationMode="pessimistic" redirect="list" />
      ) : null}
      {editing ? <EditDialog record={record} onClose={() => setEditing(false)} /> : null}
    </TopToolbar>
  );
}

function Rollout({ record }: { record: KubeObject }) {
  const want = record.spec?.replicas ?? 1;
  const st = record.status ?? {};
  const done =
    (record.metadata.generation ?? 0) <= (st.observedGeneration ?? 0) &&
    (st.updatedReplicas ?? 0) === want &&
    (st.replicas ?? 0) === (st.updatedReplicas ?? 0) &&
    (st.availableReplicas ?? 0) >= (st.updatedReplicas ?? 0);
  const conditions = (st.conditions ?? []) as Array<Record<string, string>>;
  const failing = conditions.find(
    (c) =>
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      c.reason === 'ProgressDeadlineExceeded',
  );
  return (
    <Section title="Rollout">
      <Typography variant="body2" data-testid="rollout-status">
        {done
          ? `Complete: ${st.availableReplicas ?? 0} of ${want} available (revision ${record.metadata.annotations?.[REVISION] ?? '?'})`
          : `In progress: ${st.updatedReplicas ?? 0} of ${want} updated, ${st.readyReplicas ?? 0} ready, ${st.availableReplicas ?? 0} available`}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={want ? Math.min(100, ((st.availableReplicas ?? 0) / want) * 100) : 100}
        color={failing ? 'error' : done ? 'success' : 'primary'}
        sx={{ height: 8, borderRadius: 4, my: 1 }}
        aria-label="available replicas"
      />
      {failing ? <Alert severity="error">{failing.message}</Alert> : null}
      {conditions.map((c) => (
        <Typography variant="body2" color="text.secondary" key={c.type}>
          {c.type}={c.status} {c.reason ? `(${c.reason})` : ''} {c.message}
        </Typography>
      ))}
    </Section>
  );
}

export function PodTable({ namespace, selector }: { namespace: string; selector: string }) {
  const pods = useGetList('pods', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
    filter: { namespace, labelSelector: selector },
  });
  useLive('pods', namespace, { labelSelector: selector });
  if (pods.isPending) return <LinearProgress />;
  if (!pods.data?.length) return <Empty>No pods.</Empty>;
  return (
    <Box
      sx={{
        overflowX: 'auto',
        '& table': { borderCollapse: 'collapse', width: '100%' },
        '& th, & td': {
          textAlign: 'left',
          p: 1,
          borderBottom: '1px solid',
          borderColor: 'divider',
        },
      }}
    >
      <table data-testid="pod-table">
        <thead>
          <tr>
            <th>Pod</th>
            <th>Status</th>
            <th>Restarts</th>
            <th>Node</th>
            <th>Age</th>
          </tr>
        </thead>
        <tbody>
          {pods.data.map((p) => (
            <tr key={p.id}>
              <td>
                <a href={`#/pods/${encodeURIComponent(p.id)}/show`}>{p.metadata.name}</a>
              </td>
              <td>
                <PodStatusChip pod={p} withReason />
              </td>
              <td>{restartsOf(p)}</td>
              <td>{p.spec?.nodeName ?? '—'}</td>
              <td>
                <Age record={p} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Box>
  );
}

/** The Deployment's ReplicaSets, newest revision first (what a roll back returns to). */
function Revisions({ deployment }: { deployment: KubeObject }) {
  const rs = useGetList('replicasets', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'id', order: 'ASC' },
    filter: { namespace: deployment.metadata.namespace },
  });
  const current = deployment.metadata.annotations?.[REVISION];
  const mine = (rs.data ?? [])
    .filter((r) =>
      r.metadata.ownerReferences?.some((o: { uid: string }) => o.uid === deployment.metadata.uid),
    )
    .sort(
      (a, b) =>
        Number(b.metadata.annotations?.[REVISION] ?? 0) -
        Number(a.metadata.annotations?.[REVISION] ?? 0),
    );
  if (rs.isPending) return <LinearProgress />;
  if (!mine.length) return <Empty>No ReplicaSets yet.</Empty>;
  return (
    <Box
      sx={{
        overflowX: 'auto',
        '& table': { borderCollapse: 'collapse', width: '100%' },
        '& th, & td': {
          textAlign: 'left',
          p: 1,
          borderBottom: '1px solid',
          borderColor: 'divider',
        },
      }}
    >
      <table data-testid="revisions">
        <thead>
          <tr>
            <th>Revision</th>
            <th>ReplicaSet</th>
            <th>Images</th>
            <th>Pods (ready/desired)</th>
            <th>Age</th>
          </tr>
        </thead>
        <tbody>
          {mine.map((r) => {
            const rev = r.metadata.annotations?.[REVISION] ?? '?';
            return (
              <tr key={r.id}>
                <td>
                  {rev}{' '}
                  {rev === current ? <Chip size="small" color="primary" label="current" /> : null}
                </td>
                <td>{r.metadata.name}</td>
                <td>{images(r)}</td>
                <td>
                  {r.status?.readyReplicas ?? 0}/{r.spec?.replicas ?? 0}
                </td>
                <td>
                  <Age record={r} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Box>
  );
}

function DeploymentDetails() {
  const record = useRecordContext<KubeObject & { id: string }>();
  useLive('deployments', record?.metadata.namespace, {}, ['replicasets']);
  if (!record) return null;
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Stack direction="row" spacing={1} sx={{ mb: 2 }} alignItems="center">
          <Typography variant="h5" component="h1">
            {record.metadata.name}
          </Typography>
          <Chip size="small" label={record.metadata.namespace} />
          <ReadyCell record={record} />
        </Stack>
        <Typography variant="body2" sx={{ mb: 2 }}>
          Images: {images(record)} · Strategy: {record.spec?.strategy?.type ?? 'RollingUpdate'}
        </Typography>
        <Rollout record={record} />
        <Section title="Pods">
          <PodTable
            namespace={record.metadata.namespace!}
            selector={selectorString(record.spec?.selector?.matchLabels)}
          />
        </Section>
        <Section title="Events">
          <ObjectEvents namespace={record.metadata.namespace!} name={record.metadata.name} />
        </Section>
        <Section title="Revisions">
          <Revisions deployment={record} />
        </Section>
      </CardContent>
    </Card>
  );
}

export function DeploymentShow() {
  return (
    <Show queryOptions={useShowErrors()} actions={<DeploymentActions />}>
      <DeploymentDetails />
    </Show>
  );
}
