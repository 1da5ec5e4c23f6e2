import { MenuItem, TextField } from '@mui/material';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useGetList } from 'react-admin';
import type { KubeObject } from '../api';
import { currentTenant, setTenantScope } from '../tenant-scope';

/** Shown to users who see several tenants: narrows every view to one of them. */
export function TenantSwitcher() {
  const queryClient = useQueryClient();
  const [tenant, setTenant] = useState(currentTenant());
  const { data } = useGetList('tenants', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
    filter: { allTenants: true },
  });
  const tenants = (data ?? []) as KubeObject[];
  const chosen = tenants.find((t) => t.metadata.name === tenant);
  const nsKey = JSON.stringify(chosen?.status?.namespaces ?? []);
  useEffect(() => {
    if (!data) return;
    const name = chosen ? tenant : '';
    setTenantScope(name, chosen?.status?.namespaces);
    void queryClient.invalidateQueries();
    // Deliberate dependencies: the values that change what is watched or chosen.
  }, [tenant, nsKey, !!data]);
  if (tenants.length < 2) return null;
  return (
    <TextField
      select
      size="small"
      value={chosen ? tenant : ''}
      onChange={(e) => setTenant(e.target.value)}
      aria-label="Tenant"
      data-testid="tenant-switcher"
      sx={{
        width: { xs: 130, sm: 180 },
        flex: 'none',
        mr: 1,
        '& .MuiInputBase-root': { color: 'inherit', bgcolor: 'rgba(255,255,255,0.15)' },
        '& .MuiSelect-icon': { color: 'inherit' },
      }}
      slotProps={{ select: { displayEmpty: true } }}
    >
      <MenuItem value="">All tenants</MenuItem>
      {tenants.map((t) => (
        <MenuItem key={t.metadata.name} value={t.metadata.name}>
          {t.spec?.displayName || t.metadata.name}
        </MenuItem>
      ))}
    </TextField>
  );
}
