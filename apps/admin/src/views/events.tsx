import { Chip } from '@mui/material';
import { Datagrid, FunctionField, List, SelectInput, TextField, TextInput } from 'react-admin';
import type { KubeObject } from '../api';
import { Empty, NamespaceInput } from '../components/common';
import { useLive } from '../live';
import { age } from '../format';

/** Events as a live timeline, newest first, filtered by namespace, type and object. */
export function EventList() {
  useLive('events');
  return (
    <List
      empty={false}
      sort={{ field: 'lastTimestamp', order: 'DESC' }}
      perPage={50}
      filters={[
        <NamespaceInput key="ns" alwaysOn />,
        <SelectInput
          key="type"
          source="type"
          alwaysOn
          choices={[
            { id: 'Normal', name: 'Normal' },
            { id: 'Warning', name: 'Warning' },
          ]}
        />,
        <TextInput key="o" source="involvedObject.name" label="Object" />,
      ]}
    >
      <Datagrid bulkActionButtons={false} rowClick={false} empty={<Empty>No events.</Empty>}>
        <FunctionField
          label="Last seen"
          sortBy="lastTimestamp"
          render={(e: KubeObject) =>
            age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp)
          }
        />
        <FunctionField
          label="Type"
          sortBy="type"
          render={(e: KubeObject) => (
            <Chip
              size="small"
              label={e.type}
              color={e.type === 'Warning' ? 'warning' : 'default'}
            />
          )}
        />
        <TextField source="reason" label="Reason" />
        <FunctionField
          label="Object"
          render={(e: KubeObject) => `${e.involvedObject?.kind}/${e.involvedObject?.name}`}
        />
        <TextField source="metadata.namespace" label="Namespace" />
        <TextField source="message" label="Message" />
        <TextField source="count" label="Count" emptyText="1" />
      </Datagrid>
    </List>
  );
}
