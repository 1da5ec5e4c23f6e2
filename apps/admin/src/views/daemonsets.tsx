// The DaemonSet pages: the list (kubectl's desired/current/ready/up-to-date/available and
// node selector) and a DaemonSet's page with one row per node: whether the node should run
// the daemon pod (the controller's rules, from @berth/core), its pod there, or why none.
import { Card, CardContent, Chip, LinearProgress, Stack, Typography } from '@mui/material';
import {
  Datagrid,
  FunctionField,
  List,
  Show,
  TextField,
  TextInput,
  TopToolbar,
  useGetList,
  useRecordContext,
} from 'react-admin';
import { daemonSetDefinition } from '@berth/core/resources/daemon-set';
import { idOf, type KubeObject } from '../api';
import { daemonNodeRows, readyContainers, tableCells } from '../batch';
import {
  Age,
  ConditionList,
  Empty,
  GuardedDelete,
  NameField,
  NamespaceInput,
  ObjectEvents,
  PodStatusChip,
  Section,
  TableBox,
  restartsOf,
  useShowErrors,
} from '../components/common';
import { useLive } from '../live';
import { BACKGROUND } from './batch/jobs';
import { images, selectorString } from './deployments/list';

const cells = (ds: KubeObject) => tableCells(daemonSetDefinition, ds);

function ReadyChip({ ds }: { ds: KubeObject }) {
  const c = cells(ds);
  const ok = Number(c.Desired) > 0 && c.Ready === c.Desired;
  return (
    <Chip
      size="small"
      data-testid="daemonset-ready"
      label={`${c.Ready}/${c.Desired}`}
      color={ok ? 'success' : Number(c.Desired) === 0 ? 'default' : 'warning'}
    />
  );
}

export function DaemonSetList() {
  useLive('daemonsets');
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
      <Datagrid rowClick="show" bulkActionButtons={false} empty={<Empty>No daemon sets.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <FunctionField label="Desired" render={(d: KubeObject) => cells(d).Desired} />
        <FunctionField label="Current" render={(d: KubeObject) => cells(d).Current} />
        <FunctionField label="Ready" render={(d: KubeObject) => <ReadyChip ds={d} />} />
        <FunctionField label="Up-to-date" render={(d: KubeObject) => cells(d)['Up-to-date']} />
        <FunctionField label="Available" render={(d: KubeObject) => cells(d).Available} />
        <FunctionField
          label="Node selector"
          render={(d: KubeObject) => cells(d)['Node Selector']}
        />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(d: KubeObject) => <Age record={d} />}
        />
      </Datagrid>
    </List>
  );
}

/** One row per node: should it run the pod, the pod there (phase, ready, restarts), or why none. */
function PerNode({ ds }: { ds: KubeObject }) {
  const namespace = ds.metadata.namespace!;
  const selector = selectorString(ds.spec?.selector?.matchLabels);
  const nodes = useGetList('nodes', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
  });
  const pods = useGetList('pods', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
    filter: { namespace, labelSelector: selector },
  });
  useLive('pods', namespace, { labelSelector: selector });
  if (pods.isPending || nodes.isPending) return <LinearProgress />;
  const rows = daemonNodeRows(ds, nodes.data ?? [], pods.data ?? []);
  if (!rows.length) return <Empty>No nodes.</Empty>;
  return (
    <TableBox>
      <table data-testid="daemonset-nodes">
        <thead>
          <tr>
            <th>Node</th>
            <th>Should run</th>
            <th>Pod</th>
            <th>Status</th>
            <th>Ready</th>
            <th>Restarts</th>
            <th>Up-to-date</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const pod = r.pods[0] as (KubeObject & { id: string }) | undefined;
            return (
              <tr key={r.node} data-node={r.node}>
                <td>
                  {r.node}
                  {r.known ? null : (
                    <Typography variant="caption" color="text.secondary" component="div">
                      (not in your node list)
                    </Typography>
                  )}
                </td>
                <td data-testid="should-run">
                  {r.shouldRun ? 'yes' : 'no'}
                  {r.why ? (
                    <Typography variant="body2" color="text.secondary" data-testid="why-not">
                      {r.why}
                    </Typography>
                  ) : null}
                </td>
                <td>
                  {r.pods.length
                    ? r.pods.map((p) => (
                        <div key={p.metadata.name}>
                          <a href={`#/pods/${encodeURIComponent(idOf(p))}/show`}>
                            {p.metadata.name}
                          </a>
                        </div>
                      ))
                    : r.shouldRun
                      ? 'none yet'
                      : '—'}
                </td>
                <td>{pod ? <PodStatusChip pod={pod} withReason /> : null}</td>
                <td>{pod ? readyContainers(pod) : ''}</td>
                <td>{pod ? restartsOf(pod) : ''}</td>
                <td>{r.pods.length ? (r.upToDate ? 'yes' : 'no') : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableBox>
  );
}

function DaemonSetDetails() {
  const ds = useRecordContext<KubeObject & { id: string }>();
  useLive('daemonsets', ds?.metadata.namespace, {
    fieldSelector: ds ? `metadata.name=${ds.metadata.name}` : undefined,
  });
  if (!ds) return null;
  const c = cells(ds);
  const strategy = ds.spec?.updateStrategy ?? {};
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 2 }} flexWrap="wrap">
          <Typography variant="h5" component="h1">
            {ds.metadata.name}
          </Typography>
          <Chip size="small" label={ds.metadata.namespace} />
          <ReadyChip ds={ds} />
        </Stack>
        <Typography variant="body2" sx={{ mb: 2 }} data-testid="daemonset-summary">
          Desired {c.Desired} · Current {c.Current} · Ready {c.Ready} · Up-to-date {c['Up-to-date']}{' '}
          · Available {c.Available} · Node selector {c['Node Selector']} · Images: {images(ds)} ·
          Update: {strategy.type ?? 'RollingUpdate'}
          {strategy.rollingUpdate?.maxUnavailable !== undefined
            ? ` (max unavailable ${strategy.rollingUpdate.maxUnavailable})`
            : ''}
        </Typography>
        <Section title="Nodes">
          <PerNode ds={ds} />
        </Section>
        <Section title="Conditions">
          <ConditionList conditions={ds.status?.conditions} />
        </Section>
        <Section title="Events">
          <ObjectEvents namespace={ds.metadata.namespace!} name={ds.metadata.name} />
        </Section>
      </CardContent>
    </Card>
  );
}

export function DaemonSetShow() {
  return (
    <Show
      queryOptions={useShowErrors()}
      component="div"
      actions={
        <TopToolbar>
          <GuardedDelete mutationMode="pessimistic" redirect="list" mutationOptions={BACKGROUND} />
        </TopToolbar>
      }
    >
      <DaemonSetDetails />
    </Show>
  );
}
