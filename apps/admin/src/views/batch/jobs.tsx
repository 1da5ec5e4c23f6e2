// The Job pages: the list (kubectl's columns: completions, status, duration, age) and a
// Job's page with its spec, conditions, pods (phase, exit code, logs) and events.
import {
  Button as MuiButton,
  Card,
  CardContent,
  Chip,
  LinearProgress,
  Stack,
  Tooltip,
  Typography,
} from '@mui/material';
import { useState } from 'react';
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
import { JOB_CONTROLLER_UID_LABEL } from '@berth/core/resources/job';
import { jobDefinition } from '@berth/core/resources/job';
import { type KubeObject, type Obj } from '../../api';
import { exitCodes, INSTANTIATE_ANNOTATION, jobState, tableCells } from '../../batch';
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
} from '../../components/common';
import { useLive } from '../../live';
import { images } from '../deployments/list';
import { LogViewer } from '../pods';

export function JobStatusChip({ job, withReason }: { job: KubeObject; withReason?: boolean }) {
  const s = jobState(job);
  const chip = <Chip size="small" label={s.label} color={s.color} data-testid="job-status" />;
  if (!s.reason) return chip;
  if (!withReason)
    return (
      <Tooltip title={s.reason}>
        <span>{chip}</span>
      </Tooltip>
    );
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      {chip}
      <Typography variant="body2" color="text.secondary" data-testid="job-reason">
        {s.reason}
      </Typography>
    </Stack>
  );
}

const cell = (j: KubeObject, column: string) => tableCells(jobDefinition, j)[column] || '—';

export function JobList() {
  useLive('jobs');
  return (
    <List
      empty={false}
      sort={{ field: 'metadata.creationTimestamp', order: 'DESC' }}
      perPage={50}
      filters={[
        <NamespaceInput key="ns" alwaysOn />,
        <TextInput key="q" source="q" label="Name" alwaysOn />,
      ]}
    >
      <Datagrid rowClick="show" bulkActionButtons={false} empty={<Empty>No jobs.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <FunctionField
          label="Completions"
          render={(j: KubeObject) => (
            <span data-testid="job-completions">{cell(j, 'Completions')}</span>
          )}
        />
        <FunctionField
          label="Status"
          render={(j: KubeObject) => <JobStatusChip job={j} withReason />}
        />
        <FunctionField label="Duration" render={(j: KubeObject) => cell(j, 'Duration')} />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(j: KubeObject) => <Age record={j} />}
        />
      </Datagrid>
    </List>
  );
}

/** A list of Jobs (a CronJob's runs): status, completions, duration, start, manual or not. */
export function JobRuns({ jobs }: { jobs: Array<KubeObject & { id: string }> }) {
  if (!jobs.length) return <Empty>No runs yet.</Empty>;
  return (
    <TableBox>
      <table data-testid="job-runs">
        <thead>
          <tr>
            <th>Job</th>
            <th>Status</th>
            <th>Completions</th>
            <th>Duration</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id}>
              <td>
                <a href={`#/jobs/${encodeURIComponent(j.id)}/show`}>{j.metadata.name}</a>{' '}
                {j.metadata.annotations?.[INSTANTIATE_ANNOTATION] === 'manual' ? (
                  <Chip size="small" label="manual" variant="outlined" />
                ) : null}
              </td>
              <td>
                <JobStatusChip job={j} withReason />
              </td>
              <td>{cell(j, 'Completions')}</td>
              <td>{cell(j, 'Duration')}</td>
              <td>
                <Age record={j} /> ago
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableBox>
  );
}

/** The Job's pods (by its controller-uid label), newest first, with a log view of one. */
function JobPods({ job }: { job: KubeObject }) {
  const selector = `${JOB_CONTROLLER_UID_LABEL}=${job.metadata.uid}`;
  const namespace = job.metadata.namespace!;
  const pods = useGetList('pods', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.creationTimestamp', order: 'DESC' },
    filter: { namespace, labelSelector: selector },
  });
  useLive('pods', namespace, { labelSelector: selector });
  const [chosen, setChosen] = useState<string>();
  if (pods.isPending) return <LinearProgress />;
  const list = pods.data ?? [];
  if (!list.length) return <Empty>No pods.</Empty>;
  const shown = list.find((p) => p.metadata.name === chosen) ?? list[0];
  return (
    <>
      <TableBox>
        <table data-testid="job-pods">
          <thead>
            <tr>
              <th>Pod</th>
              <th>Status</th>
              <th>Exit code</th>
              <th>Restarts</th>
              <th>Node</th>
              <th>Age</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((p) => (
              <tr key={p.id}>
                <td>
                  <a href={`#/pods/${encodeURIComponent(p.id)}/show`}>{p.metadata.name}</a>
                </td>
                <td>
                  <PodStatusChip pod={p} withReason />
                </td>
                <td data-testid="pod-exit-code">{exitCodes(p)}</td>
                <td>{restartsOf(p)}</td>
                <td>{p.spec?.nodeName ?? '—'}</td>
                <td>
                  <Age record={p} />
                </td>
                <td>
                  <MuiButton
                    size="small"
                    disabled={p.metadata.name === shown.metadata.name}
                    onClick={() => setChosen(p.metadata.name)}
                  >
                    Logs
                  </MuiButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <Typography variant="subtitle2" sx={{ mt: 2, mb: 1 }} data-testid="logs-of">
        Logs of {shown.metadata.name}
      </Typography>
      <LogViewer key={shown.metadata.name} pod={shown} />
    </>
  );
}

function Spec({ job }: { job: KubeObject }) {
  const spec = (job.spec ?? {}) as Obj;
  const st = (job.status ?? {}) as Obj;
  const owner = job.metadata.ownerReferences?.find((o) => o.kind === 'CronJob');
  const facts: Array<[string, unknown]> = [
    ['Completions', cell(job, 'Completions')],
    ['Parallelism', spec.parallelism],
    ['Completion mode', spec.completionMode],
    ['Backoff limit', spec.backoffLimit],
    ['Active deadline', spec.activeDeadlineSeconds && `${spec.activeDeadlineSeconds}s`],
    [
      'TTL after finished',
      spec.ttlSecondsAfterFinished !== undefined && `${spec.ttlSecondsAfterFinished}s`,
    ],
    ['Suspend', spec.suspend ? 'yes' : 'no'],
    ['Restart policy', spec.template?.spec?.restartPolicy],
    ['Images', images(job)],
    [
      'Pods',
      `${st.active ?? 0} active, ${st.ready ?? 0} ready, ${st.succeeded ?? 0} succeeded, ${st.failed ?? 0} failed`,
    ],
    ['Started', st.startTime],
    ['Finished', st.completionTime],
    ['Duration', cell(job, 'Duration')],
  ];
  return (
    <Section title="Spec">
      {owner ? (
        <Typography variant="body2" sx={{ mb: 1 }}>
          Created by CronJob{' '}
          <a
            href={`#/cronjobs/${encodeURIComponent(`${job.metadata.namespace}~${owner.name}`)}/show`}
          >
            {owner.name}
          </a>
          {job.metadata.annotations?.[INSTANTIATE_ANNOTATION] === 'manual' ? ' (run by hand)' : ''}
        </Typography>
      ) : null}
      <Typography variant="body2" data-testid="job-spec">
        {facts
          .filter(([, v]) => v !== undefined && v !== '' && v !== false && v !== null)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join(' · ')}
      </Typography>
    </Section>
  );
}

function JobDetails() {
  const job = useRecordContext<KubeObject & { id: string }>();
  useLive('jobs', job?.metadata.namespace, {
    fieldSelector: job ? `metadata.name=${job.metadata.name}` : undefined,
  });
  if (!job) return null;
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 2 }} flexWrap="wrap">
          <Typography variant="h5" component="h1">
            {job.metadata.name}
          </Typography>
          <Chip size="small" label={job.metadata.namespace} />
          <JobStatusChip job={job} withReason />
        </Stack>
        <Spec job={job} />
        <Section title="Conditions">
          <ConditionList conditions={job.status?.conditions} />
        </Section>
        <Section title="Pods">
          <JobPods job={job} />
        </Section>
        <Section title="Events">
          <ObjectEvents namespace={job.metadata.namespace!} name={job.metadata.name} />
        </Section>
      </CardContent>
    </Card>
  );
}

/** Deleting a Job takes its pods too (kubectl's default, Background propagation). */
export const BACKGROUND = { meta: { propagationPolicy: 'Background' } };

export function JobShow() {
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
      <JobDetails />
    </Show>
  );
}
