import { Chip, Table, TableBody, TableCell, TableHead, TableRow } from '@mui/material';
import type { ReactNode } from 'react';
import {
  Datagrid,
  EditButton,
  FunctionField,
  List,
  TextInput,
  TopToolbar,
  useCanAccess,
  useRecordContext,
  useResourceContext,
} from 'react-admin';
import type { KubeObject } from '../api';
import { useLive } from '../live';
import { Age, Empty, GuardedDelete, ListActions, NameField, NamespaceInput } from './common';

/**
 * The list page of a namespaced kind (config maps, secrets, service accounts): live, a
 * namespace and a name filter, then Name, Namespace, the kind's own `columns`, Age and a
 * guarded Delete with `deleteNote` as its confirmation.
 */
export function NamespacedList(props: {
  /** For the empty list and the delete confirmation: "config map". */
  noun: string;
  plural: string;
  deleteNote: string;
  children?: ReactNode;
}) {
  const resource = useResourceContext();
  useLive(resource!);
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
      <Datagrid bulkActionButtons={false} empty={<Empty>No {props.plural}.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <FunctionField label="Namespace" render={(r: KubeObject) => r.metadata.namespace} />
        {props.children}
        <FunctionField
          label="Age"
          sortBy="metadata.creationTimestamp"
          render={(r: KubeObject) => <Age record={r} />}
        />
        <FunctionField
          label=""
          render={(r: KubeObject) => (
            <GuardedDelete
              mutationMode="pessimistic"
              confirmTitle={`Delete ${props.noun} ${r.metadata.name}?`}
              confirmContent={props.deleteNote}
            />
          )}
        />
      </Datagrid>
    </List>
  );
}

/** The Show page's actions of a config map or secret: Edit for callers allowed to update. */
export function DataShowActions() {
  const record = useRecordContext<KubeObject>();
  const resource = useResourceContext();
  const { canAccess, isPending } = useCanAccess({ action: 'edit', resource, record });
  return (
    <TopToolbar data-testid="show-actions" data-decided={!!record && !isPending}>
      {record?.immutable ? (
        <Chip size="small" label="Immutable" data-testid="immutable-chip" />
      ) : canAccess ? (
        <EditButton />
      ) : null}
    </TopToolbar>
  );
}

/** Key/value rows as a table (`rows`: one `KeyValueRow` per key); "No keys." when there are none. */
export function KeyValueTable(props: {
  testId: string;
  count: number;
  withAction?: boolean;
  children: ReactNode;
}) {
  if (props.count === 0) return <Empty>No keys.</Empty>;
  return (
    <Table size="small" data-testid={props.testId}>
      <TableHead>
        <TableRow>
          <TableCell>Key</TableCell>
          <TableCell>Value</TableCell>
          {props.withAction ? <TableCell /> : null}
        </TableRow>
      </TableHead>
      <TableBody>{props.children}</TableBody>
    </Table>
  );
}

/** One key of a `KeyValueTable`: its value in monospace (`valueTestId` on the cell). */
export function KeyValueRow(props: {
  k: string;
  value: ReactNode;
  valueTestId?: string;
  action?: ReactNode;
}) {
  return (
    <TableRow>
      <TableCell>{props.k}</TableCell>
      <TableCell
        sx={{ fontFamily: 'monospace', whiteSpace: 'pre-wrap' }}
        data-testid={props.valueTestId}
      >
        {props.value}
      </TableCell>
      {props.action !== undefined ? <TableCell>{props.action}</TableCell> : null}
    </TableRow>
  );
}
