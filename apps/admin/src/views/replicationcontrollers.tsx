import { Datagrid, FunctionField, List, TextField, TextInput } from 'react-admin';
import type { KubeObject } from '../api';
import { Age, Empty, NamespaceInput, NameField } from '../components/common';
import { useLive } from '../live';

/** The legacy ReplicaSets (core/v1), where a team with old manifests looks for them. */
export function ReplicationControllerList() {
  useLive('replicationcontrollers');
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
      <Datagrid bulkActionButtons={false} empty={<Empty>No replication controllers.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <TextField source="metadata.namespace" label="Namespace" />
        <TextField source="spec.replicas" label="Desired" emptyText="1" />
        <TextField source="status.replicas" label="Current" emptyText="0" />
        <TextField source="status.readyReplicas" label="Ready" emptyText="0" />
        <FunctionField
          label="Selector"
          render={(rc: KubeObject) =>
            Object.entries((rc.spec?.selector ?? {}) as Record<string, string>)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')
          }
        />
        <FunctionField label="Age" render={(r: KubeObject) => <Age record={r} />} />
      </Datagrid>
    </List>
  );
}
