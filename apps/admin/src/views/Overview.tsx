import { Alert, Box, Card, CardContent, Chip, Grid, Stack, Typography } from '@mui/material';
import { Link, Loading, Title, useGetList, usePermissions } from 'react-admin';
import type { KubeObject } from '../api';
import type { Permissions } from '../authProvider';
import { Empty, QuotaBar, Section } from '../components/common';
import { useLive } from '../live';
import { age, quantityNumber, sumQuantities } from '../format';

const ALL = {
  pagination: { page: 1, perPage: 10000 },
  sort: { field: 'id', order: 'ASC' as const },
};

/** The tenant's quota (used / namespace quotas / cap), its namespaces and recent warnings. */
export function Overview() {
  const { permissions } = usePermissions<Permissions>();
  const tenants = useGetList('tenants', ALL);
  const quotas = useGetList('resourcequotas', ALL);
  const namespaces = useGetList('namespaces', ALL);
  const events = useGetList('events', {
    pagination: { page: 1, perPage: 8 },
    sort: { field: 'lastTimestamp', order: 'DESC' },
    filter: { type: 'Warning' },
  });
  // Tenant status follows its namespaces, quotas and pods: two watches keep all of it live.
  useLive(['tenants', 'events'], undefined, {}, ['namespaces', 'resourcequotas']);
  if (tenants.isPending) return <Loading />;
  const role = (t: string) => permissions?.tenants.find((x) => x.name === t)?.role;
  return (
    <Stack spacing={2} sx={{ mt: 2 }}>
      <Title title="Overview" />
      {tenants.error ? <Alert severity="error">{String(tenants.error.message)}</Alert> : null}
      {!tenants.data?.length ? (
        <Card>
          <CardContent>
            <Empty>
              You are not a member of any tenant yet. Ask a cluster admin to add you to a team.
            </Empty>
          </CardContent>
        </Card>
      ) : null}
      <Grid container spacing={2}>
        {(tenants.data ?? []).map((t: KubeObject) => {
          const hard = (t.spec?.quota?.hard ?? {}) as Record<string, string>;
          const used = (t.status?.used ?? {}) as Record<string, string>;
          const nsNames = (namespaces.data ?? [])
            .filter((n) => n.metadata.labels?.['tenancy.berth.dev/tenant'] === t.metadata.name)
            .map((n) => n.metadata.name as string);
          const reserved: Record<string, number> = {};
          for (const q of quotas.data ?? [])
            if (nsNames.includes(q.metadata.namespace))
              for (const [k, v] of Object.entries((q.spec?.hard ?? {}) as Record<string, string>))
                reserved[k] = (reserved[k] ?? 0) + (quantityNumber(v) ?? NaN);
          return (
            <Grid size={{ xs: 12, md: 6 }} key={t.metadata.name}>
              <Card data-testid={`tenant-${t.metadata.name}`}>
                <CardContent>
                  <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 2 }}>
                    <Typography variant="h5" component="h2">
                      {t.spec?.displayName || t.metadata.name}
                    </Typography>
                    <Chip size="small" label={t.metadata.name} />
                    {role(t.metadata.name) ? (
                      <Chip size="small" color="primary" label={role(t.metadata.name)} />
                    ) : null}
                  </Stack>
                  <Section title="Tenant quota">
                    {Object.keys(hard).length ? (
                      Object.keys(hard).map((k) => (
                        <QuotaBar
                          key={k}
                          resource={k}
                          used={used[k] ?? '0'}
                          hard={hard[k]}
                          reserved={reserved[k]}
                        />
                      ))
                    ) : (
                      <Empty>No tenant quota: only namespace quotas apply.</Empty>
                    )}
                  </Section>
                  <Section
                    title={`Namespaces (${nsNames.length}${t.spec?.namespaceLimit !== undefined ? ` of ${t.spec.namespaceLimit}` : ''})`}
                  >
                    {nsNames.length ? (
                      <Stack spacing={1.5}>
                        {nsNames.map((n) => {
                          const q = (quotas.data ?? []).filter((x) => x.metadata.namespace === n);
                          // NaN (shown as written) when a value does not parse.
                          const hardOf = (k: string) =>
                            sumQuantities(q.map((x) => x.status?.hard?.[k] ?? x.spec?.hard?.[k])) ??
                            NaN;
                          const usedOf = (k: string) =>
                            sumQuantities(q.map((x) => x.status?.used?.[k])) ?? NaN;
                          const keys = ['requests.cpu', 'requests.memory', 'pods'].filter(
                            (k) => hardOf(k) !== 0,
                          );
                          return (
                            <Box key={n} data-testid={`namespace-${n}`}>
                              <Chip
                                size="small"
                                label={n}
                                component={Link}
                                to={`/namespaces/${n}/show`}
                                clickable
                                sx={{ mb: 0.5 }}
                              />
                              {keys.length ? (
                                keys.map((k) => (
                                  <QuotaBar
                                    key={k}
                                    resource={k}
                                    used={usedOf(k)}
                                    hard={hardOf(k)}
                                    testId={`namespace-quota-${k}`}
                                  />
                                ))
                              ) : (
                                <Typography variant="body2" color="text.secondary">
                                  No namespace quota: only the tenant cap applies.
                                </Typography>
                              )}
                            </Box>
                          );
                        })}
                      </Stack>
                    ) : (
                      <Empty>No namespaces yet.</Empty>
                    )}
                  </Section>
                </CardContent>
              </Card>
            </Grid>
          );
        })}
      </Grid>
      <Card>
        <CardContent>
          <Section title="Recent warnings">
            {events.isPending ? (
              <Loading />
            ) : events.data?.length ? (
              events.data.map((e) => (
                <Alert severity="warning" key={e.id} sx={{ mb: 1 }}>
                  <strong>{e.reason}</strong> {e.involvedObject?.kind}/{e.involvedObject?.name} (
                  {e.metadata.namespace}, {age(e.lastTimestamp ?? e.metadata.creationTimestamp)}{' '}
                  ago): {e.message}
                </Alert>
              ))
            ) : (
              <Empty>No warnings. All quiet.</Empty>
            )}
          </Section>
        </CardContent>
      </Card>
    </Stack>
  );
}
