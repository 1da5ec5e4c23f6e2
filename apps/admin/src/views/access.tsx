import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import ContentCopy from '@mui/icons-material/ContentCopy';
import { useState } from 'react';
import {
  Datagrid,
  DateField,
  FunctionField,
  List,
  TextField as RaTextField,
  Title,
  useCanAccess,
  useGetList,
  useNotify,
  usePermissions,
  useRefresh,
} from 'react-admin';
import { stringify } from 'yaml';
import { requestJson, type KubeObject, type Obj } from '../api';
import type { Permissions } from '../authProvider';
import { Empty, Section } from '../components/common';
import { dataProvider } from '../dataProvider';
import { Users } from './users';

const ROLES = ['tenant-admin', 'developer', 'viewer'];

function CopyField({ value, label }: { value: string; label: string }) {
  const notify = useNotify();
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      <TextField
        fullWidth
        label={label}
        value={value}
        slotProps={{
          htmlInput: {
            readOnly: true,
            'data-testid': 'new-token',
            style: { fontFamily: 'monospace' },
          },
        }}
      />
      <Tooltip title="Copy">
        <IconButton
          aria-label="Copy to clipboard"
          onClick={() =>
            navigator.clipboard?.writeText(value).then(
              () => notify('Copied', { type: 'info' }),
              () => notify('Copy failed: select the text and copy it', { type: 'warning' }),
            )
          }
        >
          <ContentCopy />
        </IconButton>
      </Tooltip>
    </Stack>
  );
}

function CreateToken({ tenants }: { tenants: string[] }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [tenant, setTenant] = useState('');
  const [role, setRole] = useState('');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<string>();
  const refresh = useRefresh();
  const close = () => {
    setOpen(false);
    setCreated(undefined);
    setError(undefined);
    setName('');
  };
  const create = async () => {
    setError(undefined);
    try {
      const r = await requestJson<Obj>('/auth/tokens', {
        method: 'POST',
        body: {
          name,
          ...(tenant ? { tenant } : {}),
          ...(tenant && role ? { role } : {}),
          expiresInSeconds: Math.round(Number(days) * 86400),
        },
      });
      setCreated(r.token);
      refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <Button variant="contained" onClick={() => setOpen(true)}>
        Create API token
      </Button>
      <Dialog open={open} onClose={close} fullWidth maxWidth="sm">
        <DialogTitle>{created ? 'Your new API token' : 'Create an API token'}</DialogTitle>
        <DialogContent>
          {created ? (
            <Stack spacing={2} sx={{ mt: 1 }}>
              <Alert severity="info">
                Copy it now: it is shown only once (Berth keeps only a hash).
              </Alert>
              <CopyField value={created} label="Token" />
            </Stack>
          ) : (
            <Stack spacing={2} sx={{ mt: 1 }}>
              <TextField
                autoFocus
                label="Name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                helperText='What it is for, e.g. "ci"'
                slotProps={{ htmlInput: { 'data-testid': 'token-name' } }}
              />
              <TextField
                select
                label="Limit to tenant"
                value={tenant}
                onChange={(e) => setTenant(e.target.value)}
              >
                <MenuItem value="">All my tenants</MenuItem>
                {tenants.map((t) => (
                  <MenuItem key={t} value={t}>
                    {t}
                  </MenuItem>
                ))}
              </TextField>
              <TextField
                select
                label="At most role"
                value={role}
                onChange={(e) => setRole(e.target.value)}
                disabled={!tenant}
              >
                <MenuItem value="">My role</MenuItem>
                {ROLES.map((r) => (
                  <MenuItem key={r} value={r}>
                    {r}
                  </MenuItem>
                ))}
              </TextField>
              <TextField
                label="Expires in days"
                type="number"
                value={days}
                onChange={(e) => setDays(e.target.value)}
              />
              {error ? <Alert severity="error">{error}</Alert> : null}
            </Stack>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>{created ? 'Done' : 'Cancel'}</Button>
          {created ? null : (
            <Button variant="contained" onClick={create} disabled={!name.trim()}>
              Create
            </Button>
          )}
        </DialogActions>
      </Dialog>
    </>
  );
}

/** A kubeconfig with a fresh API token (limited to the tenant), downloaded as a file. */
export async function downloadKubeconfig(
  tenant: string,
  namespace: string | undefined,
): Promise<void> {
  const token = await requestJson<Obj>('/auth/tokens', {
    method: 'POST',
    body: {
      name: `kubeconfig ${new Date().toISOString().slice(0, 16)}`,
      ...(tenant ? { tenant } : {}),
    },
  });
  const info = await requestJson<Obj>('/ui/cluster-info');
  const name = `berth-${tenant || 'all'}`;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: info.server,
          'certificate-authority-data': info.certificateAuthorityData,
        },
      },
    ],
    users: [{ name, user: { token: token.token } }],
    contexts: [
      { name, context: { cluster: name, user: name, ...(namespace ? { namespace } : {}) } },
    ],
    'current-context': name,
  };
  const blob = new Blob([stringify(doc)], { type: 'application/yaml' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${name}.kubeconfig`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function Kubeconfig({ tenants }: { tenants: KubeObject[] }) {
  const [tenant, setTenant] = useState(tenants[0]?.metadata.name ?? '');
  const notify = useNotify();
  const t = tenants.find((x) => x.metadata.name === tenant);
  return (
    <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap>
      {tenants.length > 1 ? (
        <TextField
          select
          size="small"
          label="Tenant"
          value={tenant}
          onChange={(e) => setTenant(e.target.value)}
          sx={{ minWidth: 160 }}
        >
          {tenants.map((x) => (
            <MenuItem key={x.metadata.name} value={x.metadata.name}>
              {x.metadata.name}
            </MenuItem>
          ))}
        </TextField>
      ) : null}
      <Button
        variant="outlined"
        onClick={() =>
          downloadKubeconfig(tenant, t?.status?.namespaces?.[0]).then(
            () =>
              notify(
                'Kubeconfig downloaded (with a new API token): kubectl --kubeconfig <file> get ns',
                { type: 'success' },
              ),
            (err) => notify((err as Error).message, { type: 'error' }),
          )
        }
      >
        Download kubeconfig
      </Button>
      <Typography variant="body2" color="text.secondary">
        One click from the dashboard to kubectl: the file carries a new token
        {tenant ? ` limited to ${tenant}` : ''}.
      </Typography>
    </Stack>
  );
}

function Members({ tenant }: { tenant: KubeObject & { id: string } }) {
  const { canAccess } = useCanAccess({ action: 'update', resource: 'tenants', record: tenant });
  const [user, setUser] = useState('');
  const [role, setRole] = useState('developer');
  const notify = useNotify();
  const refresh = useRefresh();
  const members = (tenant.spec?.members ?? []) as Array<{ user: string; role: string }>;
  const save = async (next: Array<{ user: string; role: string }>) => {
    try {
      await dataProvider.patch('tenants', tenant.id, { spec: { members: next } });
      notify('Members updated', { type: 'success' });
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  return (
    <Box sx={{ mb: 2 }}>
      <Typography variant="subtitle1">
        <strong>{tenant.spec?.displayName || tenant.metadata.name}</strong> ({tenant.metadata.name})
      </Typography>
      <Table size="small">
        <TableHead>
          <TableRow>
            <TableCell>User</TableCell>
            <TableCell>Role</TableCell>
            {canAccess ? <TableCell /> : null}
          </TableRow>
        </TableHead>
        <TableBody>
          {members.map((m) => (
            <TableRow key={m.user}>
              <TableCell>{m.user}</TableCell>
              <TableCell>
                {canAccess ? (
                  <TextField
                    select
                    size="small"
                    value={m.role}
                    aria-label={`role of ${m.user}`}
                    onChange={(e) =>
                      save(
                        members.map((x) =>
                          x.user === m.user ? { ...x, role: e.target.value } : x,
                        ),
                      )
                    }
                  >
                    {ROLES.map((r) => (
                      <MenuItem key={r} value={r}>
                        {r}
                      </MenuItem>
                    ))}
                  </TextField>
                ) : (
                  <Chip size="small" label={m.role} />
                )}
              </TableCell>
              {canAccess ? (
                <TableCell>
                  <Button
                    size="small"
                    color="error"
                    onClick={() => save(members.filter((x) => x.user !== m.user))}
                  >
                    Remove
                  </Button>
                </TableCell>
              ) : null}
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {canAccess ? (
        <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
          <TextField
            size="small"
            label="Username"
            value={user}
            onChange={(e) => setUser(e.target.value)}
          />
          <TextField
            select
            size="small"
            label="Role"
            value={role}
            onChange={(e) => setRole(e.target.value)}
          >
            {ROLES.map((r) => (
              <MenuItem key={r} value={r}>
                {r}
              </MenuItem>
            ))}
          </TextField>
          <Button
            disabled={!user.trim()}
            onClick={() => {
              void save([
                ...members.filter((x) => x.user !== user.trim()),
                { user: user.trim(), role },
              ]);
              setUser('');
            }}
          >
            Add member
          </Button>
        </Stack>
      ) : null}
    </Box>
  );
}

/** API tokens (create, shown once; list; revoke), a kubeconfig download, and the members of the caller's tenants. */
export function AccessPage() {
  const { permissions } = usePermissions<Permissions>();
  const tenants = useGetList('tenants', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
  });
  const mine = (tenants.data ?? []).filter((t) =>
    permissions?.clusterAdmin ? true : permissions?.tenants.some((x) => x.name === t.metadata.name),
  );
  return (
    <Box sx={{ mt: 2 }}>
      <Title title="Access" />
      <Card sx={{ mb: 2 }}>
        <CardContent>
          <Section title="kubectl">
            {tenants.isPending ? null : <Kubeconfig tenants={mine} />}
          </Section>
          <Section title="API tokens">
            <CreateToken tenants={mine.map((t) => t.metadata.name)} />
          </Section>
          <List
            resource="tokens"
            disableSyncWithLocation
            actions={false}
            sort={{ field: 'createdAt', order: 'DESC' }}
            perPage={100}
            title=" "
            empty={<Empty>No API tokens yet.</Empty>}
          >
            <Datagrid bulkActionButtons={false} rowClick={false}>
              <RaTextField source="name" />
              <RaTextField source="tenant" emptyText="all" />
              <RaTextField source="role" emptyText="—" />
              <DateField source="createdAt" showTime />
              <DateField source="expiresAt" showTime />
              <FunctionField
                label="State"
                render={(t: Obj) => (
                  <Chip
                    size="small"
                    label={t.state}
                    color={t.state === 'Active' ? 'success' : 'default'}
                  />
                )}
              />
              <FunctionField
                label=""
                render={(t: Obj) =>
                  t.state === 'Active' ? <Revoke id={t.id} name={t.name} /> : null
                }
              />
            </Datagrid>
          </List>
        </CardContent>
      </Card>
      {permissions?.clusterAdmin ? (
        <Card sx={{ mb: 2 }}>
          <CardContent>
            <Section title="Users">
              <Users />
            </Section>
          </CardContent>
        </Card>
      ) : null}
      <Card>
        <CardContent>
          <Section title="Members and roles">
            {mine.length ? (
              mine.map((t) => <Members key={t.id} tenant={t as KubeObject & { id: string }} />)
            ) : (
              <Empty>No tenants.</Empty>
            )}
          </Section>
        </CardContent>
      </Card>
    </Box>
  );
}

function Revoke({ id, name }: { id: string; name: string }) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [confirm, setConfirm] = useState(false);
  return (
    <>
      <Button size="small" color="error" onClick={() => setConfirm(true)}>
        Revoke
      </Button>
      <Dialog open={confirm} onClose={() => setConfirm(false)}>
        <DialogTitle>Revoke token “{name}”?</DialogTitle>
        <DialogContent>Anything using it stops working on its next request.</DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirm(false)}>Cancel</Button>
          <Button
            color="error"
            onClick={async () => {
              setConfirm(false);
              try {
                await dataProvider.delete('tokens', { id });
                notify(`Token “${name}” revoked`, { type: 'success' });
                refresh();
              } catch (err) {
                notify((err as Error).message, { type: 'error' });
              }
            }}
          >
            Revoke
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
