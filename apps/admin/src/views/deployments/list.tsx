import { Chip } from '@mui/material';
import { Datagrid, FunctionField, List, TextField, TextInput } from 'react-admin';
import { type KubeObject } from '../../api';
import { Age, Empty, NamespaceInput, NameField, ListActions } from '../../components/common';
import { useLive } from '../../live';

export function selectorString(match?: Record<string, string>): string {
  return Object.entries(match ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export const images = (d: KubeObject) =>
  ((d.spec?.template?.spec?.containers ?? []) as Array<{ image: string }>)
    .map((c) => c.image)
    .join(', ');

export function ReadyCell({ record }: { record: KubeObject }) {
  const want = record.spec?.replicas ?? 1;
  const ready = record.status?.readyReplicas ?? 0;
  return (
    <Chip
      size="small"
      data-testid="deployment-ready"
      label={`${ready}/${want}`}
      color={ready >= want ? 'success' : 'warning'}
    />
  );
}

export function DeploymentList() {
  useLive('deployments');
  return (
    <List
      actions={<ListActions />}
      empty={false}
      sort={{ field: 'metadata.name', order: 'ASC' }}
      perPage={50}
      filters={[
        <NamespaceInput key="ns" alwaysOn />,
        <TextInput key="q" source="q" label="Name" alwaysOn />,
      ]}
    >
      <Datagrid
        rowClick="show"
        bulkActionButtons={false}
        empty={<Empty>No deployments yet. Create one from a form or paste YAML.</Empty>}
      >
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <FunctionField label="Ready" render={(r: KubeObject) => <ReadyCell record={r} />} />
        <TextField source="status.updatedReplicas" label="Up-to-date" emptyText="0" />
        <TextField source="status.availableReplicas" label="Available" emptyText="0" />
        <FunctionField label="Images" render={images} />
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(r: KubeObject) => <Age record={r} />}
        />
      </Datagrid>
    </List>
  );
}
