// The CronJob pages: the list (schedule, time zone, suspend, active, last and next run) and
// a CronJob's page with its runs (the Jobs it owns) and events, and the actions Run now
// (the Job `kubectl create job --from=cronjob/<name>` creates) and Suspend / Resume.
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
import {
  Datagrid,
  DeleteWithConfirmButton,
  FunctionField,
  List,
  Show,
  TextField,
  TextInput,
  TopToolbar,
  useCanAccess,
  useGetList,
  useNotify,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import { cronJobDefinition } from '@berth/core/resources/cron-job';
import { type KubeObject } from '../../api';
import {
  browserZone,
  formatInZone,
  jobFromCronJob,
  nextRun,
  ownedBy,
  scheduleZone,
  tableCells,
} from '../../batch';
import {
  Age,
  Empty,
  NameField,
  NamespaceInput,
  ObjectEvents,
  Section,
  useShowErrors,
} from '../../components/common';
import { dataProvider } from '../../dataProvider';
import { useLive } from '../../live';
import { BACKGROUND, JobRuns } from './jobs';

/** The next run in the browser's time, with the CronJob's own zone beside it (or on hover). */
export function NextRun({ cj, inline }: { cj: KubeObject; inline?: boolean }) {
  const { at, error } = nextRun(cj);
  if (!at) return <span data-testid="next-run-error">{error ?? '—'}</span>;
  const zone = scheduleZone(cj);
  const local = (
    <span data-testid="next-run-local">
      {formatInZone(at)} ({browserZone()})
    </span>
  );
  const theirs = (
    <span data-testid="next-run-zone">
      {formatInZone(at, zone)} {zone}
    </span>
  );
  const suspended = cj.spec?.suspend ? ' — suspended: will not start' : '';
  if (inline)
    return (
      <Typography variant="body2" component="span" data-testid="next-run">
        {local} · {theirs}
        {suspended}
      </Typography>
    );
  return (
    <Tooltip title={`${formatInZone(at, zone)} ${zone}${suspended}`}>
      <span data-testid="next-run" style={{ opacity: cj.spec?.suspend ? 0.6 : 1 }}>
        {local}
      </span>
    </Tooltip>
  );
}

const cell = (cj: KubeObject, column: string) => tableCells(cronJobDefinition, cj)[column];

function SuspendChip({ cj }: { cj: KubeObject }) {
  return cj.spec?.suspend ? (
    <Chip size="small" label="Suspended" color="warning" data-testid="cronjob-suspend" />
  ) : (
    <Chip size="small" label="Active" color="success" data-testid="cronjob-suspend" />
  );
}

export function CronJobList() {
  useLive('cronjobs');
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
      <Datagrid rowClick="show" bulkActionButtons={false} empty={<Empty>No cron jobs.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <TextField source="spec.schedule" label="Schedule" />
        <FunctionField label="Time zone" render={(c: KubeObject) => scheduleZone(c)} />
        <FunctionField label="Suspend" render={(c: KubeObject) => <SuspendChip cj={c} />} />
        <FunctionField label="Active" render={(c: KubeObject) => cell(c, 'Active')} />
        <FunctionField label="Last schedule" render={(c: KubeObject) => cell(c, 'Last Schedule')} />
        <FunctionField label="Next run" render={(c: KubeObject) => <NextRun cj={c} />} />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(c: KubeObject) => <Age record={c} />}
        />
      </Datagrid>
    </List>
  );
}

function CronJobActions() {
  const cj = useRecordContext<KubeObject & { id: string }>();
  const notify = useNotify();
  const refresh = useRefresh();
  const ns = { metadata: { name: '', namespace: cj?.metadata.namespace } };
  const create = useCanAccess({ action: 'create', resource: 'jobs', record: ns });
  const patch = useCanAccess({ action: 'patch', resource: 'cronjobs', record: cj });
  const del = useCanAccess({ action: 'delete', resource: 'cronjobs', record: cj });
  // Tests (and people) can tell "no buttons" from "not decided yet".
  const decided = !!cj && !create.isPending && !patch.isPending && !del.isPending;
  if (!cj) return <TopToolbar />;
  const act = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      notify(what, { type: 'success' });
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  const runNow = () => {
    const job = jobFromCronJob(cj);
    return act(`Job ${job.metadata.name} created`, () =>
      dataProvider.create('jobs', { data: job }),
    );
  };
  const suspend = (value: boolean) =>
    act(value ? 'Suspended: no new runs start' : 'Resumed: runs start on schedule', () =>
      dataProvider.patch('cronjobs', cj.id, { spec: { suspend: value } }),
    );
  return (
    <TopToolbar data-testid="cronjob-actions" data-decided={decided}>
      {create.canAccess ? <MuiButton onClick={runNow}>Run now</MuiButton> : null}
      {patch.canAccess ? (
        cj.spec?.suspend ? (
          <MuiButton onClick={() => suspend(false)}>Resume</MuiButton>
        ) : (
          <MuiButton onClick={() => suspend(true)}>Suspend</MuiButton>
        )
      ) : null}
      {del.canAccess ? (
        <DeleteWithConfirmButton
          mutationMode="pessimistic"
          redirect="list"
          mutationOptions={BACKGROUND}
        />
      ) : null}
    </TopToolbar>
  );
}

function Runs({ cj }: { cj: KubeObject }) {
  const namespace = cj.metadata.namespace!;
  const jobs = useGetList('jobs', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.creationTimestamp', order: 'DESC' },
    filter: { namespace },
  });
  useLive('jobs', namespace);
  if (jobs.isPending) return <LinearProgress />;
  return <JobRuns jobs={(jobs.data ?? []).filter((j) => ownedBy(j, cj))} />;
}

function CronJobDetails() {
  const cj = useRecordContext<KubeObject & { id: string }>();
  useLive('cronjobs', cj?.metadata.namespace, {
    fieldSelector: cj ? `metadata.name=${cj.metadata.name}` : undefined,
  });
  if (!cj) return null;
  const spec = cj.spec ?? {};
  const st = cj.status ?? {};
  const facts: Array<[string, unknown]> = [
    ['Schedule', spec.schedule],
    ['Time zone', spec.timeZone ?? 'UTC (none set)'],
    ['Concurrency', spec.concurrencyPolicy],
    ['Starting deadline', spec.startingDeadlineSeconds && `${spec.startingDeadlineSeconds}s`],
    [
      'History kept',
      `${spec.successfulJobsHistoryLimit ?? 3} succeeded, ${spec.failedJobsHistoryLimit ?? 1} failed`,
    ],
    ['Active', (st.active ?? []).length],
    ['Last schedule', st.lastScheduleTime],
    ['Last success', st.lastSuccessfulTime],
  ];
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 2 }} flexWrap="wrap">
          <Typography variant="h5" component="h1">
            {cj.metadata.name}
          </Typography>
          <Chip size="small" label={cj.metadata.namespace} />
          <SuspendChip cj={cj} />
        </Stack>
        <Typography variant="body2" sx={{ mb: 1 }} data-testid="cronjob-spec">
          {facts
            .filter(([, v]) => v !== undefined && v !== '' && v !== null)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join(' · ')}
        </Typography>
        <Typography variant="body2" sx={{ mb: 2 }}>
          Next run: <NextRun cj={cj} inline />
        </Typography>
        <Section title="Last runs">
          <Runs cj={cj} />
        </Section>
        <Section title="Events">
          <ObjectEvents namespace={cj.metadata.namespace!} name={cj.metadata.name} />
        </Section>
      </CardContent>
    </Card>
  );
}

export function CronJobShow() {
  return (
    <Show queryOptions={useShowErrors()} component="div" actions={<CronJobActions />}>
      <CronJobDetails />
    </Show>
  );
}
