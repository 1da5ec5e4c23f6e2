import {
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField as MuiTextField,
} from '@mui/material';
import { useState } from 'react';
import {
  Create,
  Datagrid,
  FunctionField,
  List,
  NumberInput,
  SimpleForm,
  TextField,
  TextInput,
  required,
  useCanAccess,
  useNotify,
  usePermissions,
  useRefresh,
} from 'react-admin';
import type { KubeObject } from '../api';
import { Age, Empty, QuotaBars } from '../components/common';
import { dataProvider } from '../dataProvider';
import { useLive } from '../live';

function SetQuota({ t }: { t: KubeObject & { id: string } }) {
  const hard = (t.spec?.quota?.hard ?? {}) as Record<string, string>;
  const [open, setOpen] = useState(false);
  const [v, setV] = useState({
    cpu: hard['requests.cpu'] ?? '',
    memory: hard['requests.memory'] ?? '',
    pods: hard.pods ?? '',
    limit: String(t.spec?.namespaceLimit ?? ''),
  });
  const { canAccess } = useCanAccess({ action: 'update', resource: 'tenants', record: t });
  const { permissions } = usePermissions<{ clusterAdmin?: boolean }>();
  const notify = useNotify();
  const refresh = useRefresh();
  // Tenant admins may update their Tenant's members only: quota is the cluster admins'.
  if (!canAccess || !permissions?.clusterAdmin) return null;
  const save = async () => {
    try {
      await dataProvider.patch('tenants', t.id, {
        spec: {
          namespaceLimit: v.limit === '' ? null : Number(v.limit),
          quota: {
            hard: {
              'requests.cpu': v.cpu || null,
              'requests.memory': v.memory || null,
              pods: v.pods || null,
            },
          },
        },
      });
      notify(`Quota of ${t.metadata.name} updated`, { type: 'success' });
      setOpen(false);
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  return (
    <span onClick={(e) => e.stopPropagation()}>
      <Button size="small" onClick={() => setOpen(true)}>
        Set quota
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Quota of {t.metadata.name}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            <MuiTextField
              label="requests.cpu"
              value={v.cpu}
              onChange={(e) => setV({ ...v, cpu: e.target.value })}
            />
            <MuiTextField
              label="requests.memory"
              value={v.memory}
              onChange={(e) => setV({ ...v, memory: e.target.value })}
            />
            <MuiTextField
              label="pods"
              value={v.pods}
              onChange={(e) => setV({ ...v, pods: e.target.value })}
            />
            <MuiTextField
              label="namespace limit"
              type="number"
              value={v.limit}
              onChange={(e) => setV({ ...v, limit: e.target.value })}
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
    </span>
  );
}

/** Suspend (members may only read) or resume a tenant: cluster admins only. */
function Suspend({ t }: { t: KubeObject & { id: string } }) {
  const { permissions } = usePermissions<{ clusterAdmin?: boolean }>();
  const [confirming, setConfirming] = useState(false);
  const notify = useNotify();
  const refresh = useRefresh();
  if (!permissions?.clusterAdmin) return null;
  const suspended = t.spec?.suspended === true;
  const apply = async () => {
    try {
      await dataProvider.patch('tenants', t.id, { spec: { suspended: suspended ? null : true } });
      notify(`${t.metadata.name} ${suspended ? 'resumed' : 'suspended'}`, { type: 'success' });
      setConfirming(false);
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  return (
    <span onClick={(e) => e.stopPropagation()}>
      <Button
        size="small"
        color={suspended ? 'primary' : 'warning'}
        onClick={() => (suspended ? apply() : setConfirming(true))}
      >
        {suspended ? 'Resume' : 'Suspend'}
      </Button>
      <Dialog open={confirming} onClose={() => setConfirming(false)}>
        <DialogTitle>Suspend {t.metadata.name}?</DialogTitle>
        <DialogContent>
          Its members keep read access but can change nothing until you resume it. What runs keeps
          running.
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)}>Cancel</Button>
          <Button variant="contained" color="warning" onClick={apply}>
            Suspend
          </Button>
        </DialogActions>
      </Dialog>
    </span>
  );
}

export function TenantList() {
  useLive('tenants');
  return (
    <List empty={false} sort={{ field: 'metadata.name', order: 'ASC' }} perPage={50}>
      <Datagrid bulkActionButtons={false} rowClick={false} empty={<Empty>No tenants.</Empty>}>
        <TextField source="metadata.name" label="Name" />
        <TextField source="spec.displayName" label="Display name" emptyText="" />
        <FunctionField
          label="State"
          render={(t: KubeObject) =>
            t.spec?.suspended ? (
              <Chip size="small" color="warning" label="Suspended" />
            ) : (
              <Chip size="small" color="success" variant="outlined" label="Active" />
            )
          }
        />
        <FunctionField
          label="Members"
          render={(t: KubeObject) =>
            (t.spec?.members ?? [])
              .map((m: { user: string; role: string }) => `${m.user} (${m.role})`)
              .join(', ')
          }
        />
        <FunctionField
          label="Namespaces"
          render={(t: KubeObject) =>
            `${(t.status?.namespaces ?? []).length}${t.spec?.namespaceLimit !== undefined ? ` of ${t.spec.namespaceLimit}` : ''}`
          }
        />
        <FunctionField
          label="Quota"
          render={(t: KubeObject) => (
            <div style={{ minWidth: 240 }}>
              <QuotaBars hard={t.spec?.quota?.hard} used={t.status?.used} />
            </div>
          )}
        />
        <FunctionField label="Age" render={(t: KubeObject) => <Age record={t} />} />
        <FunctionField
          label=""
          render={(t: KubeObject & { id: string }) => (
            <Stack direction="row">
              <SetQuota t={t} />
              <Suspend t={t} />
            </Stack>
          )}
        />
      </Datagrid>
    </List>
  );
}

export function TenantCreate() {
  return (
    <Create
      redirect="list"
      transform={(d: Record<string, string>) => ({
        metadata: { name: d.name },
        spec: {
          displayName: d.displayName || undefined,
          namespaceLimit:
            d.namespaceLimit === undefined || d.namespaceLimit === null
              ? undefined
              : Number(d.namespaceLimit),
          members: d.admin ? [{ user: d.admin, role: 'tenant-admin' }] : [],
          quota: {
            hard: Object.fromEntries(
              Object.entries({
                'requests.cpu': d.cpu,
                'requests.memory': d.memory,
                pods: d.pods,
              }).filter(([, x]) => x),
            ),
          },
        },
      })}
    >
      <SimpleForm>
        <TextInput source="name" validate={required()} />
        <TextInput source="displayName" />
        <TextInput source="admin" label="Tenant admin (username)" />
        <NumberInput source="namespaceLimit" min={0} />
        <TextInput source="cpu" label="requests.cpu" />
        <TextInput source="memory" label="requests.memory" />
        <TextInput source="pods" label="pods" />
      </SimpleForm>
    </Create>
  );
}
