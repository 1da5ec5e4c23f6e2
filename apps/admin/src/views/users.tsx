import {
  Alert,
  Button,
  Checkbox,
  Chip,
  FormControlLabel,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
} from '@mui/material';
import { useEffect, useState } from 'react';
import { useNotify } from 'react-admin';
import { requestJson, type Obj } from '../api';
import { Empty } from '../components/common';

/** Cluster admins: the users (to add to tenants), create one, disable or enable. */
export function Users() {
  const [users, setUsers] = useState<Obj[]>();
  const [error, setError] = useState<string>();
  const [form, setForm] = useState({ username: '', password: '', displayName: '', admin: false });
  const notify = useNotify();
  const load = () =>
    requestJson<{ items: Obj[] }>('/auth/users').then(
      (r) => setUsers(r.items),
      (err) => setError((err as Error).message),
    );
  useEffect(() => {
    void load();
  }, []);
  const run = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
      notify(what, { type: 'success' });
      await load();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  if (error) return <Alert severity="error">{error}</Alert>;
  return (
    <>
      {users?.length ? (
        <Table size="small">
          <TableHead>
            <TableRow>
              <TableCell>User</TableCell>
              <TableCell>Name</TableCell>
              <TableCell>Role</TableCell>
              <TableCell>State</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {users.map((u) => (
              <TableRow key={u.username}>
                <TableCell>{u.username}</TableCell>
                <TableCell>{u.displayName}</TableCell>
                <TableCell>
                  {u.clusterAdmin ? (
                    <Chip size="small" color="primary" label="cluster admin" />
                  ) : null}
                </TableCell>
                <TableCell>
                  <Chip
                    size="small"
                    label={u.disabled ? 'Disabled' : 'Active'}
                    color={u.disabled ? 'default' : 'success'}
                  />
                </TableCell>
                <TableCell>
                  <Button
                    size="small"
                    onClick={() =>
                      run(`${u.username} ${u.disabled ? 'enabled' : 'disabled'}`, () =>
                        requestJson(`/auth/users/${encodeURIComponent(u.username)}`, {
                          method: 'PATCH',
                          body: { disabled: !u.disabled },
                        }),
                      )
                    }
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : (
        <Empty>{users ? 'No users.' : 'Loading…'}</Empty>
      )}
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={1} sx={{ mt: 2 }} alignItems="center">
        <TextField
          size="small"
          label="Username"
          value={form.username}
          onChange={(e) => setForm({ ...form, username: e.target.value })}
        />
        <TextField
          size="small"
          label="Initial password"
          type="password"
          value={form.password}
          onChange={(e) => setForm({ ...form, password: e.target.value })}
        />
        <TextField
          size="small"
          label="Display name"
          value={form.displayName}
          onChange={(e) => setForm({ ...form, displayName: e.target.value })}
        />
        <FormControlLabel
          control={
            <Checkbox
              checked={form.admin}
              onChange={(e) => setForm({ ...form, admin: e.target.checked })}
            />
          }
          label="Cluster admin"
        />
        <Button
          variant="outlined"
          disabled={!form.username.trim()}
          onClick={() =>
            run(`User ${form.username} created: add them to a tenant below`, async () => {
              await requestJson('/auth/users', {
                method: 'POST',
                body: {
                  username: form.username.trim(),
                  ...(form.password ? { password: form.password } : {}),
                  ...(form.displayName ? { displayName: form.displayName } : {}),
                  clusterAdmin: form.admin,
                },
              });
              setForm({ username: '', password: '', displayName: '', admin: false });
            })
          }
        >
          Create user
        </Button>
      </Stack>
    </>
  );
}
