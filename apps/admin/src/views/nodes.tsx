import { Button, Chip, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import {
  Datagrid,
  FunctionField,
  List,
  useCanAccess,
  useGetList,
  useNotify,
  useRefresh,
} from 'react-admin';
import { request, type KubeObject } from '../api';
import { Age, Empty, QuotaBar } from '../components/common';
import { dataProvider } from '../dataProvider';
import { useLive } from '../live';
import { quantityNumber } from '../format';
import { drainPods, planDrain, type EvictionOutcome } from '../drain';

/** One eviction through the eviction API; a budget's refusal (429) is to be retried. */
async function evict(pod: KubeObject): Promise<EvictionOutcome> {
  const { namespace, name } = pod.metadata;
  try {
    await request(
      `/api/v1/namespaces/${encodeURIComponent(namespace!)}/pods/${encodeURIComponent(name)}/eviction`,
      {
        method: 'POST',
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      },
    );
    return { ok: true };
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404) return { ok: true }; // gone already
    if (status === 429) return { ok: false, retry: true, message: (err as Error).message };
    throw err;
  }
}

type Allocated = Record<string, { cpu: number; memory: number; pods: number; list: KubeObject[] }>;

function allocated(pods: KubeObject[]): Allocated {
  const out: Allocated = {};
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const a = (out[node] ??= { cpu: 0, memory: 0, pods: 0, list: [] });
    a.pods++;
    a.list.push(p);
    for (const c of (p.spec?.containers ?? []) as Array<{
      resources?: { requests?: Record<string, string> };
    }>) {
      // The API validated these requests: they parse (NaN, shown as such, if one did not).
      a.cpu += quantityNumber(c.resources?.requests?.cpu) ?? NaN;
      a.memory += quantityNumber(c.resources?.requests?.memory) ?? NaN;
    }
  }
  return out;
}

function NodeActions({ node, pods }: { node: KubeObject & { id: string }; pods: KubeObject[] }) {
  const { canAccess } = useCanAccess({ action: 'patch', resource: 'nodes', record: node });
  const notify = useNotify();
  const refresh = useRefresh();
  const [draining, setDraining] = useState<string>();
  if (!canAccess) return null;
  const cordon = (unschedulable: boolean) =>
    dataProvider.patch('nodes', node.id, { spec: { unschedulable: unschedulable || null } });
  const run = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
      notify(what, { type: 'success' });
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
  // As kubectl drain --ignore-daemonsets: cordon, then evict through the eviction API so
  // disruption budgets hold, retrying what a budget refuses and saying which pods it waits on.
  const drain = async () => {
    const plan = planDrain(pods);
    setDraining(`cordoning ${node.metadata.name}`);
    try {
      await cordon(true);
      const done = await drainPods(plan.evict, evict, {
        retryMs: 5_000,
        deadlineMs: 300_000,
        onProgress: (p) =>
          setDraining(
            `evicted ${p.evicted.length} of ${p.total}` +
              (p.waiting.length
                ? `; waiting on ${p.waiting.map((w) => `${w.pod}: ${w.message}`).join('; ')}`
                : ''),
          ),
      });
      const left = plan.skipped.length
        ? ` (${plan.skipped.length} DaemonSet or mirror pods stay)`
        : '';
      notify(`${node.metadata.name} drained: ${done.evicted.length} pods evicted${left}`, {
        type: 'success',
      });
    } catch (err) {
      notify(`Drain of ${node.metadata.name}: ${(err as Error).message}`, { type: 'error' });
    } finally {
      setDraining(undefined);
      refresh();
    }
  };
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      {node.spec?.unschedulable ? (
        <Button
          size="small"
          onClick={() => run(`${node.metadata.name} uncordoned`, () => cordon(false))}
        >
          Uncordon
        </Button>
      ) : (
        <Button
          size="small"
          onClick={() => run(`${node.metadata.name} cordoned`, () => cordon(true))}
        >
          Cordon
        </Button>
      )}
      <Button size="small" color="warning" disabled={draining !== undefined} onClick={drain}>
        Drain
      </Button>
      {draining !== undefined && (
        <Typography variant="caption" data-testid="drain-status">
          {draining}
        </Typography>
      )}
    </Stack>
  );
}

export function NodeList() {
  useLive(['nodes', 'pods']);
  const pods = useGetList('pods', {
    pagination: { page: 1, perPage: 100000 },
    sort: { field: 'id', order: 'ASC' },
    filter: { allTenants: true },
  });
  const alloc = allocated(pods.data ?? []);
  const empty = { cpu: 0, memory: 0, pods: 0, list: [] };
  return (
    <List empty={false} sort={{ field: 'metadata.name', order: 'ASC' }} perPage={50}>
      <Datagrid
        bulkActionButtons={false}
        rowClick={false}
        empty={<Empty>No nodes have registered. Start a node agent (apps/agent).</Empty>}
      >
        <FunctionField
          label="Name"
          sortBy="metadata.name"
          render={(n: KubeObject) => n.metadata.name}
        />
        <FunctionField
          label="Status"
          render={(n: KubeObject) => {
            const ready = ((n.status?.conditions ?? []) as Array<Record<string, string>>).find(
              (c) => c.type === 'Ready',
            );
            return (
              <Stack direction="row" spacing={0.5}>
                <Chip
                  size="small"
                  label={ready?.status === 'True' ? 'Ready' : 'NotReady'}
                  color={ready?.status === 'True' ? 'success' : 'error'}
                  title={ready?.message}
                />
                {n.spec?.unschedulable ? (
                  <Chip size="small" label="SchedulingDisabled" color="warning" />
                ) : null}
              </Stack>
            );
          }}
        />
        <FunctionField
          label="Conditions"
          render={(n: KubeObject) =>
            ((n.status?.conditions ?? []) as Array<Record<string, string>>)
              .filter((c) => c.type !== 'Ready' && c.status === 'True')
              .map((c) => c.type)
              .join(', ') || '—'
          }
        />
        <FunctionField
          label="Allocated / allocatable"
          render={(n: KubeObject) => {
            const a = alloc[n.metadata.name] ?? empty;
            const cap = n.status?.allocatable ?? n.status?.capacity ?? {};
            return (
              <div style={{ minWidth: 260 }}>
                <QuotaBar resource="cpu" label="cpu" used={a.cpu} hard={cap.cpu} />
                <QuotaBar resource="memory" label="memory" used={a.memory} hard={cap.memory} />
                <QuotaBar resource="pods" label="pods" used={a.pods} hard={cap.pods} />
              </div>
            );
          }}
        />
        <FunctionField label="Age" render={(n: KubeObject) => <Age record={n} />} />
        <FunctionField
          label=""
          render={(n: KubeObject & { id: string }) => (
            <NodeActions node={n} pods={(alloc[n.metadata.name] ?? empty).list} />
          )}
        />
      </Datagrid>
    </List>
  );
}
