import { Table, TableBody, TableCell, TableHead, TableRow } from '@mui/material';
import {
  ArrayInput,
  Create,
  Datagrid,
  FunctionField,
  List,
  Show,
  SimpleForm,
  SimpleFormIterator,
  TextInput,
  required,
  useRecordContext,
} from 'react-admin';
import type { KubeObject } from '../api';
import {
  Age,
  Empty,
  GuardedDelete,
  ListActions,
  NameField,
  NamespaceInput,
  Section,
  useShowErrors,
} from '../components/common';
import { useLive } from '../live';

/** Form rows `[{key, value}]` → a `data` map (the shape ConfigMaps and Secrets share). */
export function pairsToData(
  pairs: { key?: string; value?: string }[] | undefined,
  encode: (v: string) => string = (v) => v,
): Record<string, string> {
  return Object.fromEntries(
    (pairs ?? []).filter((p) => p.key).map((p) => [p.key as string, encode(p.value ?? '')]),
  );
}

const keysOf = (r: KubeObject) =>
  Object.keys(r.data ?? {}).length + Object.keys(r.binaryData ?? {}).length;

export function ConfigMapList() {
  useLive('configmaps');
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
      <Datagrid bulkActionButtons={false} empty={<Empty>No config maps.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <FunctionField label="Namespace" render={(r: KubeObject) => r.metadata.namespace} />
        <FunctionField label="Keys" render={(r: KubeObject) => keysOf(r)} />
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
              confirmTitle={`Delete config map ${r.metadata.name}?`}
              confirmContent="Pods already running keep what they read; new pods that need it will not start."
            />
          )}
        />
      </Datagrid>
    </List>
  );
}

function ConfigMapData() {
  const r = useRecordContext<KubeObject>();
  if (!r) return null;
  const rows = Object.entries((r.data ?? {}) as Record<string, string>);
  return (
    <Section title="Data">
      {rows.length === 0 ? (
        <Empty>No keys.</Empty>
      ) : (
        <Table size="small" data-testid="configmap-data">
          <TableHead>
            <TableRow>
              <TableCell>Key</TableCell>
              <TableCell>Value</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map(([k, v]) => (
              <TableRow key={k}>
                <TableCell>{k}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace', whiteSpace: 'pre-wrap' }}>{v}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Section>
  );
}

export function ConfigMapShow() {
  return (
    <Show queryOptions={useShowErrors()}>
      <ConfigMapData />
    </Show>
  );
}

export function ConfigMapCreate() {
  return (
    <Create
      redirect="show"
      transform={(d: {
        name: string;
        namespace: string;
        pairs?: { key?: string; value?: string }[];
      }) => ({
        metadata: { name: d.name, namespace: d.namespace },
        data: pairsToData(d.pairs),
      })}
    >
      <SimpleForm>
        <NamespaceInput validate={required()} />
        <TextInput source="name" label="Name" validate={required()} />
        <ArrayInput source="pairs" label="Data">
          <SimpleFormIterator inline>
            <TextInput source="key" label="Key" validate={required()} />
            <TextInput source="value" label="Value" multiline />
          </SimpleFormIterator>
        </ArrayInput>
      </SimpleForm>
    </Create>
  );
}
