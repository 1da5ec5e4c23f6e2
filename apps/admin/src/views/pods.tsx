import {
  Alert,
  Box,
  Card,
  CardContent,
  Chip,
  FormControlLabel,
  MenuItem,
  Stack,
  Switch,
  TextField as MuiTextField,
  Typography,
} from '@mui/material';
import { useEffect, useRef, useState } from 'react';
import {
  Datagrid,
  FunctionField,
  List,
  Show,
  TextField,
  TextInput,
  TopToolbar,
  useRecordContext,
} from 'react-admin';
import { objectPath, request, RESOURCES, withQuery, type KubeObject, type Obj } from '../api';
import {
  Age,
  Empty,
  NamespaceInput,
  PodStatusChip,
  Section,
  restartsOf,
  useShowErrors,
  ObjectEvents,
  NameField,
  GuardedDelete,
} from '../components/common';
import { useLive } from '../live';

export function PodList() {
  useLive('pods');
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
      <Datagrid rowClick="show" bulkActionButtons={false} empty={<Empty>No pods.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <FunctionField
          label="Status"
          sortBy="status.phase"
          render={(p: KubeObject) => <PodStatusChip pod={p} />}
        />
        <FunctionField label="Restarts" render={(p: KubeObject) => restartsOf(p)} />
        <TextField source="spec.nodeName" label="Node" emptyText="—" />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(p: KubeObject) => <Age record={p} />}
        />
      </Datagrid>
    </List>
  );
}

/**
 * Follows `GET …/pods/{name}/log?follow=true` (plain text, streamed) into a scrolling
 * view; an API error (e.g. logs not served yet) is shown as the API wrote it.
 */
export function LogViewer({ pod }: { pod: KubeObject }) {
  const containers = ((pod.spec?.containers ?? []) as Array<{ name: string }>).map((c) => c.name);
  const [container, setContainer] = useState(containers[0] ?? '');
  const [follow, setFollow] = useState(true);
  const [previous, setPrevious] = useState(false);
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const [state, setState] = useState<'loading' | 'streaming' | 'ended'>('loading');
  const pre = useRef<HTMLPreElement>(null);
  const { namespace, name } = pod.metadata;
  // Like kubectl: no logs before a container has started on a node.
  const started = !!pod.spec?.nodeName && pod.status?.phase !== 'Pending';
  useEffect(() => {
    if (!started) return;
    const abort = new AbortController();
    setText('');
    setError(undefined);
    setState('loading');
    (async () => {
      try {
        const path = withQuery(`${objectPath(RESOURCES.pods, namespace, name)}/log`, {
          container,
          follow: follow ? 'true' : undefined,
          previous: previous ? 'true' : undefined,
          tailLines: 1000,
        });
        const res = await request(path, { signal: abort.signal, accept: 'text/plain, */*' });
        setState('streaming');
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          setText((t) => (t + value).slice(-200_000));
        }
        setState('ended');
      } catch (err) {
        if (abort.signal.aborted) return;
        setError((err as Error).message);
        setState('ended');
      }
    })();
    return () => abort.abort();
  }, [namespace, name, container, follow, previous, started]);
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);
  return (
    <Box>
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 1 }} flexWrap="wrap">
        {containers.length > 1 ? (
          <MuiTextField
            select
            size="small"
            label="Container"
            value={container}
            onChange={(e) => setContainer(e.target.value)}
          >
            {containers.map((c) => (
              <MenuItem key={c} value={c}>
                {c}
              </MenuItem>
            ))}
          </MuiTextField>
        ) : (
          <Chip size="small" label={container} />
        )}
        <FormControlLabel
          control={<Switch checked={follow} onChange={(e) => setFollow(e.target.checked)} />}
          label="Follow"
        />
        <FormControlLabel
          control={<Switch checked={previous} onChange={(e) => setPrevious(e.target.checked)} />}
          label="Previous container"
        />
        <Typography variant="body2" color="text.secondary" data-testid="log-state">
          {state === 'streaming' ? (follow ? 'following live' : 'reading') : state}
        </Typography>
      </Stack>
      {!started ? (
        <Alert severity="info" data-testid="log-waiting">
          No logs yet: the container has not started
          {pod.spec?.nodeName ? ` on ${pod.spec.nodeName}` : ' (the pod is not scheduled)'}.
        </Alert>
      ) : null}
      {error ? (
        <Alert severity="warning" data-testid="log-error">
          {error}
        </Alert>
      ) : null}
      <pre
        ref={pre}
        data-testid="log-output"
        tabIndex={0}
        aria-label={`logs of ${name}`}
        style={{
          background: '#111',
          color: '#ddd',
          padding: 12,
          margin: 0,
          height: 360,
          overflow: 'auto',
          fontSize: 12,
          borderRadius: 4,
          whiteSpace: 'pre-wrap',
        }}
      >
        {text ||
          (!started ? '' : state === 'loading' ? 'Loading…' : error ? '' : '(no output yet)')}
      </pre>
    </Box>
  );
}

function PodDetails() {
  const pod = useRecordContext<KubeObject & { id: string }>();
  useLive('pods', pod?.metadata.namespace, {
    fieldSelector: pod ? `metadata.name=${pod.metadata.name}` : undefined,
  });
  if (!pod) return null;
  const conditions = (pod.status?.conditions ?? []) as Array<Record<string, string>>;
  const containers = (pod.status?.containerStatuses ?? []) as Obj[];
  return (
    <Card sx={{ mt: 2 }}>
      <CardContent>
        <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 2 }} flexWrap="wrap">
          <Typography variant="h5" component="h1" data-testid="pod-name">
            {pod.metadata.name}
          </Typography>
          <Chip size="small" label={pod.metadata.namespace} />
          <PodStatusChip pod={pod} withReason />
        </Stack>
        <Typography variant="body2" sx={{ mb: 2 }}>
          Node: {pod.spec?.nodeName ?? '— (not scheduled)'} · IP: {pod.status?.podIP ?? '—'} ·
          Restarts: {restartsOf(pod)} · Age: <Age record={pod} />
        </Typography>
        <Section title="Containers">
          {((pod.spec?.containers ?? []) as Obj[]).map((c) => {
            const s = containers.find((x) => x.name === c.name);
            return (
              <Typography variant="body2" key={c.name}>
                <strong>{c.name}</strong> {c.image} —{' '}
                {s ? Object.keys(s.state ?? {})[0] : 'waiting'}
                {s?.lastState?.terminated
                  ? ` (last: ${s.lastState.terminated.reason}, exit ${s.lastState.terminated.exitCode})`
                  : ''}
                {c.resources?.requests ? ` · requests ${JSON.stringify(c.resources.requests)}` : ''}
              </Typography>
            );
          })}
        </Section>
        <Section title="Conditions">
          {conditions.length ? (
            conditions.map((c) => (
              <Typography variant="body2" key={c.type}>
                {c.type}={c.status} {c.reason ? `(${c.reason})` : ''} {c.message}
              </Typography>
            ))
          ) : (
            <Empty>None reported yet.</Empty>
          )}
        </Section>
        <Section title="Events">
          <ObjectEvents namespace={pod.metadata.namespace!} name={pod.metadata.name} />
        </Section>
        <Section title="Logs">
          <LogViewer pod={pod} />
        </Section>
      </CardContent>
    </Card>
  );
}

export function PodShow() {
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
      <PodDetails />
    </Show>
  );
}
