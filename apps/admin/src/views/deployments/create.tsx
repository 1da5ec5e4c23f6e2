import {
  Alert,
  Box,
  Button as MuiButton,
  Card,
  Stack,
  Tab,
  Tabs,
  TextField as MuiTextField,
} from '@mui/material';
import { useRef, useState } from 'react';
import {
  Create,
  NumberInput,
  SimpleForm,
  TextInput,
  Title,
  required,
  useGetList,
  useNotify,
  useRedirect,
} from 'react-admin';
import { parseAllDocuments } from 'yaml';
import { idOf, RESOURCES, type KubeObject } from '../../api';
import { NamespaceInput } from '../../components/common';
import { dataProvider } from '../../dataProvider';

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
