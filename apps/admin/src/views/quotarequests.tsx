import {
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField as MuiTextField,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import {
  Create,
  Datagrid,
  FormDataConsumer,
  FunctionField,
  List,
  SelectInput,
  SimpleForm,
  TextField,
  TextInput,
  required,
  useCanAccess,
  useGetOne,
  useNotify,
  usePermissions,
  useRefresh,
} from 'react-admin';
import type { KubeObject } from '../api';
import type { Permissions } from '../authProvider';
import { Age, Empty } from '../components/common';
import { dataProvider } from '../dataProvider';
import { useLive } from '../live';

const hardText = (h?: Record<string, string>) =>
  Object.entries(h ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

function PhaseChip({ r }: { r: KubeObject }) {
  const phase = r.status?.phase ?? 'Pending';
  return (
    <Chip
      size="small"
      data-testid="qr-phase"
      label={phase}
      color={phase === 'Approved' ? 'success' : phase === 'Denied' ? 'error' : 'warning'}
    />
  );
}

function Decide({ r }: { r: KubeObject & { id: string } }) {
  const { canAccess } = useCanAccess({
    action: 'update',
    resource: 'quotarequests/status',
    record: r,
  });
  const [denying, setDenying] = useState(false);
  const [reason, setReason] = useState('');
  const notify = useNotify();
  const refresh = useRefresh();
  if (!canAccess || (r.status?.phase ?? 'Pending') !== 'Pending') return null;
  const decide = async (phase: 'Approved' | 'Denied', why?: string) => {
    try {
      await dataProvider.patch(
        'quotarequests',
        r.id,
        { status: { phase, ...(why ? { reason: why } : {}) } },
        { subresource: 'status' },
      );
      notify(`${r.metadata.name} ${phase.toLowerCase()}`, { type: 'success' });
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  return (
    <Stack direction="row" spacing={1} onClick={(e) => e.stopPropagation()}>
      <Button size="small" variant="contained" color="success" onClick={() => decide('Approved')}>
        Approve
      </Button>
      <Button size="small" color="error" onClick={() => setDenying(true)}>
        Deny
      </Button>
      <Dialog open={denying} onClose={() => setDenying(false)}>
        <DialogTitle>Deny {r.metadata.name}</DialogTitle>
        <DialogContent>
          <MuiTextField
            autoFocus
            fullWidth
            label="Reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            sx={{ mt: 1 }}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDenying(false)}>Cancel</Button>
          <Button
            color="error"
            disabled={!reason.trim()}
            onClick={() => {
              setDenying(false);
              void decide('Denied', reason);
            }}
          >
            Deny
          </Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}

export function QuotaRequestList() {
  useLive('quotarequests');
  return (
    <List
      empty={false}
      sort={{ field: 'metadata.creationTimestamp', order: 'DESC' }}
      perPage={50}
      filters={[
        <SelectInput
          key="p"
          source="status.phase"
          label="Phase"
          alwaysOn
          choices={['Pending', 'Approved', 'Denied'].map((id) => ({ id, name: id }))}
        />,
      ]}
    >
      <Datagrid
        bulkActionButtons={false}
        rowClick={false}
        empty={<Empty>No quota requests.</Empty>}
      >
        <TextField source="metadata.name" label="Name" />
        <TextField source="spec.tenant" label="Tenant" />
        <FunctionField label="Requested" render={(r: KubeObject) => hardText(r.spec?.hard)} />
        <TextField source="spec.reason" label="Reason" />
        <TextField source="spec.requestedBy" label="By" emptyText="" />
        <FunctionField label="Status" render={(r: KubeObject) => <PhaseChip r={r} />} />
        <FunctionField
          label="Decision"
          render={(r: KubeObject) =>
            r.status?.decidedBy
              ? `${r.status.decidedBy}${r.status.reason ? `: ${r.status.reason}` : ''}${r.status.previous ? ` (was ${hardText(r.status.previous)})` : ''}`
              : ''
          }
        />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(r: KubeObject) => <Age record={r} />}
        />
        <FunctionField label="" render={(r: KubeObject & { id: string }) => <Decide r={r} />} />
      </Datagrid>
    </List>
  );
}

/** The chosen tenant's quota now (limit and use), so the request can be sized. */
function CurrentQuota({ tenant }: { tenant?: string }) {
  const { data } = useGetOne('tenants', { id: tenant ?? '' }, { enabled: !!tenant });
  if (!data) return null;
  const hard = (data.spec?.quota?.hard ?? {}) as Record<string, string>;
  const used = (data.status?.used ?? {}) as Record<string, string>;
  return (
    <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }} data-testid="current-quota">
      Now:{' '}
      {Object.keys(hard).length
        ? Object.keys(hard)
            .map((k) => `${k} ${used[k] ?? '0'} used of ${hard[k]}`)
            .join(' · ')
        : 'no tenant quota'}
    </Typography>
  );
}

export function QuotaRequestCreate() {
  const { permissions } = usePermissions<Permissions>();
  const tenants = (permissions?.tenants ?? []).filter(
    (t) => permissions?.clusterAdmin || t.role === 'tenant-admin',
  );
  return (
    <Create
      redirect="list"
      transform={(d: Record<string, string>) => ({
        metadata: { name: `${d.tenant}-${Date.now().toString(36)}` },
        spec: {
          tenant: d.tenant,
          reason: d.reason,
          hard: Object.fromEntries(
            Object.entries({
              'requests.cpu': d.cpu,
              'requests.memory': d.memory,
              pods: d.pods,
            }).filter(([, v]) => v),
          ),
        },
      })}
    >
      <SimpleForm defaultValues={{ tenant: tenants[0]?.name }}>
        <SelectInput
          source="tenant"
          choices={tenants.map((t) => ({ id: t.name, name: t.name }))}
          validate={required()}
        />
        <FormDataConsumer>
          {({ formData }) => <CurrentQuota tenant={formData.tenant} />}
        </FormDataConsumer>
        <TextInput source="cpu" label="requests.cpu (new limit)" helperText="e.g. 8" />
        <TextInput source="memory" label="requests.memory (new limit)" helperText="e.g. 16Gi" />
        <TextInput source="pods" label="pods (new limit)" helperText="e.g. 80" />
        <TextInput
          source="reason"
          multiline
          fullWidth
          validate={required()}
          helperText="Why the team needs it"
        />
      </SimpleForm>
    </Create>
  );
}
