import {
  Button as MuiButton,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField as MuiTextField,
} from '@mui/material';
import { useState } from 'react';
import {
  DeleteWithConfirmButton,
  TopToolbar,
  useCanAccess,
  useGetList,
  useNotify,
  useRecordContext,
  useRefresh,
} from 'react-admin';
import { type KubeObject } from '../../api';
import { dataProvider } from '../../dataProvider';
import type { KubeObject as CoreObject } from '@berth/core/api/types';
import { planRollback } from '@berth/core/controllers/deployment/rollback';

function useAction() {
  const notify = useNotify();
  const refresh = useRefresh();
  return async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      notify(what, { type: 'success' });
      refresh();
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
  };
}

function ScaleControl({ record }: { record: KubeObject & { id: string } }) {
  const [n, setN] = useState<string>(String(record.spec?.replicas ?? 1));
  const act = useAction();
  return (
    <Stack direction="row" spacing={1} alignItems="center">
      <MuiTextField
        size="small"
        type="number"
        label="Replicas"
        value={n}
        onChange={(e) => setN(e.target.value)}
        slotProps={{ htmlInput: { min: 0, 'data-testid': 'scale-input' } }}
        sx={{ width: 110 }}
      />
      <MuiButton
        variant="outlined"
        onClick={() =>
          act(`Scaled to ${n}`, () =>
            dataProvider.patch(
              'deployments',
              record.id,
              { spec: { replicas: Number(n) } },
              { subresource: 'scale' },
            ),
          )
        }
      >
        Scale
      </MuiButton>
    </Stack>
  );
}

function EditDialog({
  record,
  onClose,
}: {
  record: KubeObject & { id: string };
  onClose: () => void;
}) {
  const c0 = (record.spec?.template?.spec?.containers ?? [])[0] ?? {};
  const [image, setImage] = useState<string>(c0.image ?? '');
  const [replicas, setReplicas] = useState<string>(String(record.spec?.replicas ?? 1));
  const [cpu, setCpu] = useState<string>(c0.resources?.requests?.cpu ?? '');
  const [memory, setMemory] = useState<string>(c0.resources?.requests?.memory ?? '');
  const act = useAction();
  const save = () =>
    act('Deployment updated: a rollout starts', async () => {
      await dataProvider.patch(
        'deployments',
        record.id,
        {
          spec: {
            replicas: Number(replicas),
            template: {
              spec: {
                containers: [
                  {
                    name: c0.name,
                    image,
                    resources: {
                      requests: { cpu: cpu || null, memory: memory || null },
                    },
                  },
                ],
              },
            },
          },
        },
        { contentType: 'application/strategic-merge-patch+json' },
      );
      onClose();
    });
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Edit {record.metadata.name}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <MuiTextField
            label={`Image of ${c0.name}`}
            value={image}
            onChange={(e) => setImage(e.target.value)}
          />
          <MuiTextField
            label="Replicas"
            type="number"
            value={replicas}
            onChange={(e) => setReplicas(e.target.value)}
          />
          <MuiTextField label="CPU request" value={cpu} onChange={(e) => setCpu(e.target.value)} />
          <MuiTextField
            label="Memory request"
            value={memory}
            onChange={(e) => setMemory(e.target.value)}
          />
        </Stack>
      </DialogContent>
      <DialogActions>
        <MuiButton onClick={onClose}>Cancel</MuiButton>
        <MuiButton variant="contained" onClick={save}>
          Save
        </MuiButton>
      </DialogActions>
    </Dialog>
  );
}

export function DeploymentActions() {
  const record = useRecordContext<KubeObject & { id: string }>();
  const [editing, setEditing] = useState(false);
  const act = useAction();
  const notify = useNotify();
  const patch = useCanAccess({ action: 'patch', resource: 'deployments', record });
  const scale = useCanAccess({ action: 'patch', resource: 'deployments/scale', record });
  const del = useCanAccess({ action: 'delete', resource: 'deployments', record });
  const canPatch = patch.canAccess;
  // Tests (and people) can tell "no buttons" from "not decided yet".
  const decided = !!record && !patch.isPending && !scale.isPending && !del.isPending;
  const rs = useGetList(
    'replicasets',
    {
      pagination: { page: 1, perPage: 1000 },
      sort: { field: 'id', order: 'ASC' },
      filter: { namespace: record?.metadata.namespace },
    },
    { enabled: !!record },
  );
  if (!record) return <TopToolbar />;
  // What `kubectl rollout undo` does, as @berth/core plans it: the previous revision's
  // template and annotations; refused for a paused Deployment, with kubectl's message.
  const plan = planRollback(record as CoreObject, (rs.data ?? []) as CoreObject[]);
  const hasHistory = plan.ok || plan.reason !== 'NoHistory';
  const rollback = () => {
    if (!plan.ok) return notify(plan.message, { type: 'error' });
    if (!plan.changed) return notify(plan.message, { type: 'info' });
    return act(`Rolled back to revision ${plan.revision}`, () =>
      dataProvider.patch(
        'deployments',
        record.id,
        [
          {
            op: 'replace',
            path: '/spec/template',
            value: (plan.deployment as KubeObject).spec?.template,
          },
          {
            op: 'add',
            path: '/metadata/annotations',
            value: plan.deployment.metadata.annotations ?? {},
          },
        ],
        { contentType: 'application/json-patch+json' },
      ),
    );
  };
  return (
    <TopToolbar
      sx={{ flexWrap: 'wrap', gap: 1, alignItems: 'center' }}
      data-testid="deployment-actions"
      data-decided={decided}
    >
      {scale.canAccess ? <ScaleControl key={record.spec?.replicas} record={record} /> : null}
      {canPatch ? (
        <>
          <MuiButton onClick={() => setEditing(true)}>Edit</MuiButton>
          <MuiButton
            onClick={() =>
              act('Restarting: pods are replaced one by one', () =>
                dataProvider.patch('deployments', record.id, {
                  spec: {
                    template: {
                      metadata: {
                        annotations: {
                          'kubectl.kubernetes.io/restartedAt': new Date().toISOString(),
                        },
                      },
                    },
                  },
                }),
              )
            }
          >
            Restart
          </MuiButton>
          <MuiButton
            disabled={!hasHistory}
            onClick={rollback}
            title={hasHistory ? '' : 'No earlier revision'}
          >
            Roll back
          </MuiButton>
        </>
      ) : null}
      {del.canAccess ? (
        <DeleteWithConfirmButton mutationMode="pessimistic" redirect="list" />
      ) : null}
      {editing ? <EditDialog record={record} onClose={() => setEditing(false)} /> : null}
    </TopToolbar>
  );
}
