import { Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import {
  Datagrid,
  FunctionField,
  List,
  Show,
  TextField,
  TextInput,
  TopToolbar,
  useGetOne,
  useRecordContext,
} from 'react-admin';
import type { KubeObject, Obj } from '../api';
import {
  Age,
  Empty,
  NamespaceInput,
  Section,
  useShowErrors,
  NameField,
  GuardedDelete,
} from '../components/common';
import { useLive } from '../live';

const ports = (s: KubeObject) =>
  ((s.spec?.ports ?? []) as Array<Record<string, string | number>>)
    .map((p) => `${p.port}${p.targetPort ? `→${p.targetPort}` : ''}/${p.protocol ?? 'TCP'}`)
    .join(', ');

export function ServiceList() {
  useLive('services');
  return (
    <List
      empty={false}
      sort={{ field: 'metadata.name', order: 'ASC' }}
      perPage={50}
      filters={[
        <NamespaceInput key="ns" alwaysOn />,
        <TextInput key="q" source="q" label="Name" alwaysOn />,
      ]}
    >
      <Datagrid rowClick="show" bulkActionButtons={false} empty={<Empty>No services.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <TextField source="spec.type" label="Type" emptyText="ClusterIP" />
        <TextField source="spec.clusterIP" label="Cluster IP" emptyText="—" />
        <FunctionField label="Ports" render={ports} />
        <FunctionField
          label="Selector"
          render={(s: KubeObject) =>
            Object.entries(s.spec?.selector ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(',')
          }
        />
        <FunctionField label="Age" render={(r: KubeObject) => <Age record={r} />} />
      </Datagrid>
    </List>
  );
}

function Endpoints() {
  const svc = useRecordContext<KubeObject & { id: string }>();
  const ep = useGetOne('endpoints', { id: svc?.id ?? '' }, { enabled: !!svc, retry: false });
  useLive('endpoints', svc?.metadata.namespace, {}, ['services']);
  if (!svc) return null;
  const subsets = (ep.data?.subsets ?? []) as Obj[];
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Typography variant="h5" component="h1" gutterBottom>
          {svc.metadata.name}
        </Typography>
        <Typography variant="body2" sx={{ mb: 2 }}>
          {svc.spec?.type ?? 'ClusterIP'} {svc.spec?.clusterIP} · ports {ports(svc)}
        </Typography>
        <Section title="Endpoints">
          {!subsets.length ? (
            <Empty>No endpoints: no pod matches the selector, or none is ready.</Empty>
          ) : null}
          {subsets.map((s, i) => (
            <Stack key={i} direction="row" spacing={1} flexWrap="wrap" useFlexGap sx={{ mb: 1 }}>
              {(s.addresses ?? []).map((a: Obj) => (
                <Chip
                  key={a.ip + a.targetRef?.name}
                  color="success"
                  data-testid="endpoint-ready"
                  size="small"
                  label={`${a.ip} (${a.targetRef?.name ?? ''}) ready`}
                />
              ))}
              {(s.notReadyAddresses ?? []).map((a: Obj) => (
                <Chip
                  key={a.ip + a.targetRef?.name}
                  color="warning"
                  data-testid="endpoint-not-ready"
                  size="small"
                  label={`${a.ip} (${a.targetRef?.name ?? ''}) not ready`}
                />
              ))}
              <Typography variant="body2">
                ports{' '}
                {(s.ports ?? [])
                  .map((p: Record<string, unknown>) => `${p.port}/${p.protocol}`)
                  .join(', ')}
              </Typography>
            </Stack>
          ))}
        </Section>
      </CardContent>
    </Card>
  );
}

export function ServiceShow() {
  return (
    <Show
      queryOptions={useShowErrors()}
      component="div"
      actions={
        <TopToolbar>
          <GuardedDelete mutationMode="pessimistic" redirect="list" />
        </TopToolbar>
      }
    >
      <Endpoints />
    </Show>
  );
}
