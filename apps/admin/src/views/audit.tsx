import { Chip } from '@mui/material';
import {
  BooleanInput,
  Datagrid,
  DateField,
  FunctionField,
  List,
  TextField,
  TextInput,
} from 'react-admin';
import type { Obj } from '../api';
import { Empty } from '../components/common';

/** The audit trail (GET /audit/events): cluster admins see all, tenant admins their tenants'. */
export function AuditList() {
  return (
    <List
      empty={false}
      sort={{ field: 'time', order: 'DESC' }}
      perPage={50}
      filters={[
        <TextInput key="t" source="tenant" alwaysOn />,
        <TextInput key="n" source="namespace" alwaysOn />,
        <TextInput key="u" source="user" alwaysOn />,
        <BooleanInput key="r" source="reviews" label="Access reviews" alwaysOn />,
      ]}
    >
      <Datagrid
        bulkActionButtons={false}
        rowClick="expand"
        expand={<Change />}
        empty={<Empty>No audit entries.</Empty>}
      >
        <DateField source="time" showTime />
        <TextField source="user" />
        <TextField source="verb" />
        <FunctionField
          label="Object"
          render={(e: Obj) =>
            e.resource
              ? `${e.resource}${e.subresource ? `/${e.subresource}` : ''}${e.name ? `/${e.name}` : ''}`
              : e.path
          }
        />
        <TextField source="namespace" emptyText="" />
        <TextField source="tenant" emptyText="" />
        <FunctionField
          label="Outcome"
          render={(e: Obj) => (
            <Chip
              size="small"
              label={`${e.code} ${e.outcome}`}
              color={e.code < 400 ? 'success' : 'error'}
            />
          )}
        />
        <TextField source="message" emptyText="" />
      </Datagrid>
    </List>
  );
}

function Change({ record }: { record?: Obj }) {
  const r = record ?? {};
  if (!r.before && !r.after)
    return <Empty>No before/after recorded for this kind of change.</Empty>;
  return (
    <pre style={{ fontSize: 12, whiteSpace: 'pre-wrap' }}>
      {`before: ${JSON.stringify(r.before ?? null, null, 2)}\nafter: ${JSON.stringify(r.after ?? null, null, 2)}`}
    </pre>
  );
}
