import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField as MuiTextField,
  Card,
  CardContent,
  Chip,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@mui/material';
import {
  Create,
  Datagrid,
  FunctionField,
  List,
  SelectInput,
  Show,
  SimpleForm,
  TextInput,
  TopToolbar,
  useCanAccess,
  useGetList,
  useNotify,
  useRefresh,
  useRedirect,
  usePermissions,
  useRecordContext,
  required,
  regex,
} from 'react-admin';
import { useState } from 'react';
import type { KubeObject } from '../api';
import { dataProvider } from '../dataProvider';
import type { Permissions } from '../authProvider';
import { invalidateCapabilities } from '../authProvider';
import {
  Age,
  Empty,
  QuotaBars,
  Section,
  useShowErrors,
  NameField,
  GuardedDelete,
  ListActions,
} from '../components/common';
import { useLive } from '../live';

const TENANT = 'tenancy.berth.dev/tenant';

function PhaseChip({ record }: { record: KubeObject }) {
  const phase = record.metadata.deletionTimestamp
    ? 'Terminating'
    : (record.status?.phase ?? 'Active');
  return (
    <Chip
      size="small"
      label={phase}
      color={phase === 'Active' ? 'success' : 'warning'}
      data-testid="namespace-phase"
    />
  );
}

export function NamespaceList() {
  useLive('namespaces');
  return (
    <List
      actions={<ListActions />}
      empty={false}
      sort={{ field: 'metadata.name', order: 'ASC' }}
      perPage={50}
      filters={[<TextInput key="q" source="q" label="Name" alwaysOn />]}
    >
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <NameField label="Name" sortBy="metadata.name" />
        <FunctionField
          label="Tenant"
          render={(r: KubeObject) => r.metadata.labels?.[TENANT] ?? ''}
        />
        <FunctionField label="Status" render={(r: KubeObject) => <PhaseChip record={r} />} />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(r: KubeObject) => <Age record={r} />}
        />
        <FunctionField
          label=""
          render={(r: KubeObject) =>
            r.metadata.deletionTimestamp ? null : (
              <GuardedDelete
                mutationMode="pessimistic"
                confirmTitle={`Delete namespace ${r.metadata.name}?`}
                confirmContent="Everything in it (deployments, pods, services, quotas) is deleted. The namespace shows Terminating until it is gone."
              />
            )
          }
        />
      </Datagrid>
    </List>
  );
}

export function NamespaceCreate() {
  const { permissions } = usePermissions<Permissions>();
  const notify = useNotify();
  const redirect = useRedirect();
  const tenants = (permissions?.tenants ?? []).filter(
    (t) => permissions?.clusterAdmin || t.role === 'tenant-admin',
  );
  return (
    <Create
      redirect="show"
      mutationOptions={{
        onSuccess: (data: KubeObject & { id: string }) => {
          invalidateCapabilities();
          notify(`Namespace ${data.metadata.name} created`, { type: 'success' });
          redirect('show', 'namespaces', data.id);
        },
      }}
      transform={(d: { name: string; tenant?: string }) => ({
        metadata: { name: d.name, labels: d.tenant ? { [TENANT]: d.tenant } : undefined },
      })}
    >
      <SimpleForm defaultValues={{ tenant: tenants[0]?.name }}>
        <TextInput
          source="name"
          validate={[
            required(),
            regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'lower-case letters, digits and "-"'),
          ]}
          helperText="Lower-case letters, digits and '-'; unique in the cluster"
        />
        <SelectInput
          source="tenant"
          choices={tenants.map((t) => ({ id: t.name, name: t.name }))}
          validate={permissions?.clusterAdmin ? undefined : required()}
          helperText="The team that owns it; its quota and namespace limit apply"
        />
      </SimpleForm>
    </Create>
  );
}

function NamespaceDetails() {
  const ns = useRecordContext<KubeObject & { id: string }>();
  const name = ns?.metadata.name;
  const opts = {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'id', order: 'ASC' as const },
    filter: { namespace: name },
  };
  const quotas = useGetList('resourcequotas', opts, { enabled: !!name });
  const limits = useGetList('limitranges', opts, { enabled: !!name });
  useLive(['resourcequotas', 'namespaces'], name, {}, ['limitranges']);
  if (!ns) return null;
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Section title="Status">
          <PhaseChip record={ns} /> tenant <strong>{ns.metadata.labels?.[TENANT] ?? '—'}</strong>
        </Section>
        <Section title="Quota">
          <SetQuota namespace={ns.metadata.name} quotas={quotas.data ?? []} />
          {quotas.data?.length ? (
            quotas.data.map((q) => (
              <div key={q.id}>
                <strong>{q.metadata.name}</strong>
                <QuotaBars hard={q.status?.hard ?? q.spec?.hard} used={q.status?.used} />
              </div>
            ))
          ) : (
            <Empty>No ResourceQuota in this namespace: only the tenant quota applies.</Empty>
          )}
        </Section>
        <Section title="Defaults (LimitRanges)">
          <SetDefaults namespace={ns.metadata.name} limits={limits.data ?? []} />
          {limits.data?.length ? (
            <Table size="small">
              <TableHead>
                <TableRow>
                  <TableCell>LimitRange</TableCell>
                  <TableCell>Type</TableCell>
                  <TableCell>Default request</TableCell>
                  <TableCell>Default limit</TableCell>
                  <TableCell>Max</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {limits.data.flatMap((l) =>
                  ((l.spec?.limits ?? []) as Array<Record<string, Record<string, string>>>).map(
                    (x, i) => (
                      <TableRow key={`${l.id}-${i}`}>
                        <TableCell>{l.metadata.name}</TableCell>
                        <TableCell>{String(x.type ?? '')}</TableCell>
                        <TableCell>{fmt(x.defaultRequest)}</TableCell>
                        <TableCell>{fmt(x.default)}</TableCell>
                        <TableCell>{fmt(x.max)}</TableCell>
                      </TableRow>
                    ),
                  ),
                )}
              </TableBody>
            </Table>
          ) : (
            <Empty>No LimitRange: containers without requests get none.</Empty>
          )}
        </Section>
      </CardContent>
    </Card>
  );
}

/**
 * Tenant admins split the tenant budget: sets the namespace's ResourceQuota "default"
 * (created when missing). The API refuses what the tenant quota cannot cover, and says so.
 */
/**
 * Container defaults for the namespace (LimitRange "defaults", created when missing):
 * what a container without requests or limits gets.
 */
function SetDefaults({ namespace, limits }: { namespace: string; limits: KubeObject[] }) {
  const existing = limits.find((l) => l.metadata.name === 'defaults');
  const container = (
    (existing?.spec?.limits ?? []) as Array<Record<string, Record<string, string>>>
  ).find((x) => (x.type as unknown) === 'Container');
  const [open, setOpen] = useState(false);
  const [v, setV] = useState({ reqCpu: '', reqMem: '', limCpu: '', limMem: '' });
  const record = { metadata: { name: 'defaults', namespace } };
  const { canAccess: canCreate } = useCanAccess({
    action: 'create',
    resource: 'limitranges',
    record,
  });
  const { canAccess: canUpdate } = useCanAccess({
    action: 'update',
    resource: 'limitranges',
    record,
  });
  const notify = useNotify();
  const refresh = useRefresh();
  if (!(existing ? canUpdate : canCreate)) return null;
  const start = () => {
    setV({
      reqCpu: container?.defaultRequest?.cpu ?? '',
      reqMem: container?.defaultRequest?.memory ?? '',
      limCpu: container?.default?.cpu ?? '',
      limMem: container?.default?.memory ?? '',
    });
    setOpen(true);
  };
  const pick = (cpu: string, memory: string) =>
    Object.fromEntries(Object.entries({ cpu, memory }).filter(([, x]) => x));
  const save = async () => {
    const item: Record<string, unknown> = { type: 'Container' };
    if (v.reqCpu || v.reqMem) item.defaultRequest = pick(v.reqCpu, v.reqMem);
    if (v.limCpu || v.limMem) item.default = pick(v.limCpu, v.limMem);
    const others = ((existing?.spec?.limits ?? []) as Array<{ type?: string }>).filter(
      (x) => x.type !== 'Container',
    );
    try {
      if (existing)
        await dataProvider.update('limitranges', {
          id: `${namespace}~defaults`,
          data: { ...existing, spec: { ...existing.spec, limits: [...others, item] } },
          previousData: existing,
        });
      else
        await dataProvider.create('limitranges', {
          data: { metadata: { name: 'defaults', namespace }, spec: { limits: [item] } },
        });
      notify(`Defaults of ${namespace} saved`, { type: 'success' });
      setOpen(false);
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  const field = (key: keyof typeof v, label: string, help: string) => (
    <MuiTextField
      label={label}
      value={v[key]}
      helperText={help}
      onChange={(e) => setV({ ...v, [key]: e.target.value })}
    />
  );
  return (
    <>
      <Button size="small" onClick={start} sx={{ mb: 1 }}>
        {existing ? 'Change defaults' : 'Set container defaults'}
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Container defaults in {namespace}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            {field('reqCpu', 'Default CPU request', 'e.g. 100m')}
            {field('reqMem', 'Default memory request', 'e.g. 128Mi')}
            {field('limCpu', 'Default CPU limit', 'e.g. 500m')}
            {field('limMem', 'Default memory limit', 'e.g. 256Mi')}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" onClick={save}>
            Save
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

function SetQuota({ namespace, quotas }: { namespace: string; quotas: KubeObject[] }) {
  const existing = quotas.find((q) => q.metadata.name === 'default');
  const hard = (existing?.spec?.hard ?? {}) as Record<string, string>;
  const [open, setOpen] = useState(false);
  const [v, setV] = useState({ cpu: '', memory: '', pods: '' });
  const record = { metadata: { name: 'default', namespace } };
  const { canAccess: canCreate } = useCanAccess({
    action: 'create',
    resource: 'resourcequotas',
    record,
  });
  const { canAccess: canPatch } = useCanAccess({
    action: 'patch',
    resource: 'resourcequotas',
    record,
  });
  const notify = useNotify();
  const refresh = useRefresh();
  if (!(existing ? canPatch : canCreate)) return null;
  const start = () => {
    setV({
      cpu: hard['requests.cpu'] ?? '',
      memory: hard['requests.memory'] ?? '',
      pods: hard.pods ?? '',
    });
    setOpen(true);
  };
  const save = async () => {
    const next = {
      'requests.cpu': v.cpu || null,
      'requests.memory': v.memory || null,
      pods: v.pods || null,
    };
    try {
      if (existing)
        await dataProvider.patch('resourcequotas', `${namespace}~default`, {
          spec: { hard: next },
        });
      else
        await dataProvider.create('resourcequotas', {
          data: {
            metadata: { name: 'default', namespace },
            spec: { hard: Object.fromEntries(Object.entries(next).filter(([, x]) => x)) },
          },
        });
      notify(`Quota of ${namespace} saved`, { type: 'success' });
      setOpen(false);
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  return (
    <>
      <Button size="small" onClick={start} sx={{ mb: 1 }}>
        {existing ? 'Change quota' : 'Set a quota'}
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Quota of {namespace}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            <MuiTextField
              label="requests.cpu"
              value={v.cpu}
              onChange={(e) => setV({ ...v, cpu: e.target.value })}
              helperText="e.g. 2"
            />
            <MuiTextField
              label="requests.memory"
              value={v.memory}
              onChange={(e) => setV({ ...v, memory: e.target.value })}
              helperText="e.g. 4Gi"
            />
            <MuiTextField
              label="pods"
              value={v.pods}
              onChange={(e) => setV({ ...v, pods: e.target.value })}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" onClick={save}>
            Save
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

const fmt = (m?: Record<string, string>) =>
  m
    ? Object.entries(m)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
    : '—';

export function NamespaceShow() {
  return (
    <Show
      queryOptions={useShowErrors()}
      actions={
        <TopToolbar>
          <GuardedDelete mutationMode="pessimistic" redirect="list" />
        </TopToolbar>
      }
    >
      <NamespaceDetails />
    </Show>
  );
}
