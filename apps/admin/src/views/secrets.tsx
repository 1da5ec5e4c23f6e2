import { Button, Table, TableBody, TableCell, TableHead, TableRow } from '@mui/material';
import { useState } from 'react';
import {
  ArrayInput,
  Create,
  Datagrid,
  FunctionField,
  List,
  SelectInput,
  Show,
  SimpleForm,
  SimpleFormIterator,
  TextInput,
  required,
  useNotify,
  useRecordContext,
} from 'react-admin';
import { objectPath, requestJson, RESOURCES, type KubeObject } from '../api';
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
import { pairsToData } from './configmaps';

const MASK = '••••••';

const toBase64 = (v: string) =>
  btoa(Array.from(new TextEncoder().encode(v), (b) => String.fromCharCode(b)).join(''));
const fromBase64 = (v: string) =>
  new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));

export function SecretList() {
  useLive('secrets');
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
      <Datagrid bulkActionButtons={false} empty={<Empty>No secrets.</Empty>}>
        <NameField label="Name" sortBy="metadata.name" />
        <FunctionField label="Namespace" render={(r: KubeObject) => r.metadata.namespace} />
        <FunctionField label="Type" render={(r: KubeObject) => r.type ?? 'Opaque'} />
        <FunctionField label="Keys" render={(r: KubeObject) => Object.keys(r.data ?? {}).length} />
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
              confirmTitle={`Delete secret ${r.metadata.name}?`}
              confirmContent="Pods already running keep what they read; new pods that need it will not start."
            />
          )}
        />
      </Datagrid>
    </List>
  );
}

/** One key: masked until Reveal, which reads the Secret afresh (a GET, audited by the API). */
function SecretValue({ secret, k }: { secret: KubeObject; k: string }) {
  const [value, setValue] = useState<string | undefined>();
  const notify = useNotify();
  const reveal = async () => {
    try {
      const fresh = await requestJson<KubeObject>(
        objectPath(RESOURCES.secrets, secret.metadata.namespace, secret.metadata.name),
      );
      const raw = (fresh.data ?? {})[k];
      if (raw === undefined) notify(`key ${k} is no longer in the secret`, { type: 'warning' });
      else setValue(fromBase64(raw));
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <TableRow>
      <TableCell>{k}</TableCell>
      <TableCell
        sx={{ fontFamily: 'monospace', whiteSpace: 'pre-wrap' }}
        data-testid={`secret-value-${k}`}
      >
        {value ?? MASK}
      </TableCell>
      <TableCell>
        {value === undefined ? (
          <Button size="small" onClick={() => void reveal()} aria-label={`Reveal ${k}`}>
            Reveal
          </Button>
        ) : (
          <Button size="small" onClick={() => setValue(undefined)} aria-label={`Hide ${k}`}>
            Hide
          </Button>
        )}
      </TableCell>
    </TableRow>
  );
}

function SecretData() {
  const r = useRecordContext<KubeObject>();
  if (!r) return null;
  const keys = Object.keys(r.data ?? {});
  return (
    <Section title={`Data (${r.type ?? 'Opaque'})`}>
      {keys.length === 0 ? (
        <Empty>No keys.</Empty>
      ) : (
        <Table size="small" data-testid="secret-data">
          <TableHead>
            <TableRow>
              <TableCell>Key</TableCell>
              <TableCell>Value</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {keys.map((k) => (
              <SecretValue key={k} secret={r} k={k} />
            ))}
          </TableBody>
        </Table>
      )}
    </Section>
  );
}

export function SecretShow() {
  return (
    <Show queryOptions={useShowErrors()}>
      <SecretData />
    </Show>
  );
}

const TYPES = [
  'Opaque',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/tls',
  'kubernetes.io/dockerconfigjson',
].map((t) => ({ id: t, name: t }));

export function SecretCreate() {
  return (
    <Create
      redirect="show"
      transform={(d: {
        name: string;
        namespace: string;
        type?: string;
        pairs?: { key?: string; value?: string }[];
      }) => ({
        metadata: { name: d.name, namespace: d.namespace },
        type: d.type ?? 'Opaque',
        data: pairsToData(d.pairs, toBase64),
      })}
    >
      <SimpleForm>
        <NamespaceInput validate={required()} />
        <TextInput source="name" label="Name" validate={required()} />
        <SelectInput source="type" label="Type" choices={TYPES} defaultValue="Opaque" />
        <ArrayInput source="pairs" label="Data">
          <SimpleFormIterator inline>
            <TextInput source="key" label="Key" validate={required()} />
            <TextInput source="value" label="Value" type="password" />
          </SimpleFormIterator>
        </ArrayInput>
      </SimpleForm>
    </Create>
  );
}
