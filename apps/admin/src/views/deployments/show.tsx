import {
  Alert,
  Box,
  Card,
  CardContent,
  Chip,
  LinearProgress,
  Stack,
  Typography,
} from '@mui/material';
import { Show, useGetList, useRecordContext } from 'react-admin';
import { type KubeObject } from '../../api';
import {
  Age,
  Empty,
  PodStatusChip,
  Section,
  restartsOf,
  useShowErrors,
  ObjectEvents,
} from '../../components/common';
import { useLive } from '../../live';
import { REVISION_ANNOTATION as REVISION } from '@berth/core/controllers/deployment/util';
import { DeploymentActions } from './actions';
import { images, ReadyCell, selectorString } from './list';

function Rollout({ record }: { record: KubeObject }) {
  const want = record.spec?.replicas ?? 1;
  const st = record.status ?? {};
  const done =
    (record.metadata.generation ?? 0) <= (st.observedGeneration ?? 0) &&
    (st.updatedReplicas ?? 0) === want &&
    (st.replicas ?? 0) === (st.updatedReplicas ?? 0) &&
    (st.availableReplicas ?? 0) >= (st.updatedReplicas ?? 0);
  const conditions = (st.conditions ?? []) as Array<Record<string, string>>;
  const failing = conditions.find(
    (c) =>
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      c.reason === 'ProgressDeadlineExceeded',
  );
  return (
    <Section title="Rollout">
      <Typography variant="body2" data-testid="rollout-status">
        {done
          ? `Complete: ${st.availableReplicas ?? 0} of ${want} available (revision ${record.metadata.annotations?.[REVISION] ?? '?'})`
          : `In progress: ${st.updatedReplicas ?? 0} of ${want} updated, ${st.readyReplicas ?? 0} ready, ${st.availableReplicas ?? 0} available`}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={want ? Math.min(100, ((st.availableReplicas ?? 0) / want) * 100) : 100}
        color={failing ? 'error' : done ? 'success' : 'primary'}
        sx={{ height: 8, borderRadius: 4, my: 1 }}
        aria-label="available replicas"
      />
      {failing ? <Alert severity="error">{failing.message}</Alert> : null}
      {conditions.map((c) => (
        <Typography variant="body2" color="text.secondary" key={c.type}>
          {c.type}={c.status} {c.reason ? `(${c.reason})` : ''} {c.message}
        </Typography>
      ))}
    </Section>
  );
}

export function PodTable({ namespace, selector }: { namespace: string; selector: string }) {
  const pods = useGetList('pods', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
    filter: { namespace, labelSelector: selector },
  });
  useLive('pods', namespace, { labelSelector: selector });
  if (pods.isPending) return <LinearProgress />;
  if (!pods.data?.length) return <Empty>No pods.</Empty>;
  return (
    <Box
      sx={{
        overflowX: 'auto',
        '& table': { borderCollapse: 'collapse', width: '100%' },
        '& th, & td': {
          textAlign: 'left',
          p: 1,
          borderBottom: '1px solid',
          borderColor: 'divider',
        },
      }}
    >
      <table data-testid="pod-table">
        <thead>
          <tr>
            <th>Pod</th>
            <th>Status</th>
            <th>Restarts</th>
            <th>Node</th>
            <th>Age</th>
          </tr>
        </thead>
        <tbody>
          {pods.data.map((p) => (
            <tr key={p.id}>
              <td>
                <a href={`#/pods/${encodeURIComponent(p.id)}/show`}>{p.metadata.name}</a>
              </td>
              <td>
                <PodStatusChip pod={p} withReason />
              </td>
              <td>{restartsOf(p)}</td>
              <td>{p.spec?.nodeName ?? '—'}</td>
              <td>
                <Age record={p} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Box>
  );
}

/** The Deployment's ReplicaSets, newest revision first (what a roll back returns to). */
function Revisions({ deployment }: { deployment: KubeObject }) {
  const rs = useGetList('replicasets', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'id', order: 'ASC' },
    filter: { namespace: deployment.metadata.namespace },
  });
  const current = deployment.metadata.annotations?.[REVISION];
  const mine = (rs.data ?? [])
    .filter((r) =>
      r.metadata.ownerReferences?.some((o: { uid: string }) => o.uid === deployment.metadata.uid),
    )
    .sort(
      (a, b) =>
        Number(b.metadata.annotations?.[REVISION] ?? 0) -
        Number(a.metadata.annotations?.[REVISION] ?? 0),
    );
  if (rs.isPending) return <LinearProgress />;
  if (!mine.length) return <Empty>No ReplicaSets yet.</Empty>;
  return (
    <Box
      sx={{
        overflowX: 'auto',
        '& table': { borderCollapse: 'collapse', width: '100%' },
        '& th, & td': {
          textAlign: 'left',
          p: 1,
          borderBottom: '1px solid',
          borderColor: 'divider',
        },
      }}
    >
      <table data-testid="revisions">
        <thead>
          <tr>
            <th>Revision</th>
            <th>ReplicaSet</th>
            <th>Images</th>
            <th>Pods (ready/desired)</th>
            <th>Age</th>
          </tr>
        </thead>
        <tbody>
          {mine.map((r) => {
            const rev = r.metadata.annotations?.[REVISION] ?? '?';
            return (
              <tr key={r.id}>
                <td>
                  {rev}{' '}
                  {rev === current ? <Chip size="small" color="primary" label="current" /> : null}
                </td>
                <td>{r.metadata.name}</td>
                <td>{images(r)}</td>
                <td>
                  {r.status?.readyReplicas ?? 0}/{r.spec?.replicas ?? 0}
                </td>
                <td>
                  <Age record={r} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Box>
  );
}

function DeploymentDetails() {
  const record = useRecordContext<KubeObject & { id: string }>();
  useLive('deployments', record?.metadata.namespace, {}, ['replicasets']);
  if (!record) return null;
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Stack direction="row" spacing={1} sx={{ mb: 2 }} alignItems="center">
          <Typography variant="h5" component="h1">
            {record.metadata.name}
          </Typography>
          <Chip size="small" label={record.metadata.namespace} />
          <ReadyCell record={record} />
        </Stack>
        <Typography variant="body2" sx={{ mb: 2 }}>
          Images: {images(record)} · Strategy: {record.spec?.strategy?.type ?? 'RollingUpdate'}
          {record.spec?.paused ? ' · Paused' : ''}
        </Typography>
        <Rollout record={record} />
        <Section title="Pods">
          <PodTable
            namespace={record.metadata.namespace!}
            selector={selectorString(record.spec?.selector?.matchLabels)}
          />
        </Section>
        <Section title="Events">
          <ObjectEvents namespace={record.metadata.namespace!} name={record.metadata.name} />
        </Section>
        <Section title="Revisions">
          <Revisions deployment={record} />
        </Section>
      </CardContent>
    </Card>
  );
}

export function DeploymentShow() {
  return (
    <Show queryOptions={useShowErrors()} actions={<DeploymentActions />}>
      <DeploymentDetails />
    </Show>
  );
}
