import { Alert, Button } from '@mui/material';
import { useState } from 'react';
import {
  Create,
  FunctionField,
  SelectInput,
  Show,
  SimpleForm,
  TextInput,
  required,
  useNotify,
  useRecordContext,
} from 'react-admin';
import { readSecretValue, type KubeObject } from '../api';
import { NamespaceInput, Section, useShowErrors } from '../components/common';
import { DataEdit, KeyValueInputs, MASK } from '../components/KeyValueEditor';
import {
  DataShowActions,
  KeyValueRow,
  KeyValueTable,
  NamespacedList,
} from '../components/NamespacedList';
import { pairsToData, toBase64, type KeyValueRow as Row } from '../key-values';

export function SecretList() {
  return (
    <NamespacedList
      noun="secret"
      plural="secrets"
      deleteNote="Pods already running keep what they read; new pods that need it will not start."
    >
      <FunctionField label="Type" render={(r: KubeObject) => r.type ?? 'Opaque'} />
      <FunctionField label="Keys" render={(r: KubeObject) => Object.keys(r.data ?? {}).length} />
    </NamespacedList>
  );
}

/** One key: masked until Reveal, which reads the Secret afresh (a GET, audited by the API). */
function SecretValue({ secret, k }: { secret: KubeObject; k: string }) {
  const [value, setValue] = useState<string | undefined>();
  const notify = useNotify();
  const reveal = async () => {
    try {
      const v = await readSecretValue(secret.metadata.namespace, secret.metadata.name, k);
      if (v === undefined) notify(`key ${k} is no longer in the secret`, { type: 'warning' });
      else setValue(v);
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <KeyValueRow
      k={k}
      value={value ?? MASK}
      valueTestId={`secret-value-${k}`}
      action={
        value === undefined ? (
          <Button size="small" onClick={() => void reveal()} aria-label={`Reveal ${k}`}>
            Reveal
          </Button>
        ) : (
          <Button size="small" onClick={() => setValue(undefined)} aria-label={`Hide ${k}`}>
            Hide
          </Button>
        )
      }
    />
  );
}

function SecretData() {
  const r = useRecordContext<KubeObject>();
  if (!r) return null;
  const keys = Object.keys(r.data ?? {});
  return (
    <Section title={`Data (${r.type ?? 'Opaque'})`}>
      {r.immutable ? (
        <Alert severity="info" sx={{ mb: 1 }}>
          Immutable: this secret&apos;s data cannot be changed.
        </Alert>
      ) : null}
      <KeyValueTable testId="secret-data" count={keys.length} withAction>
        {keys.map((k) => (
          <SecretValue key={k} secret={r} k={k} />
        ))}
      </KeyValueTable>
    </Section>
  );
}

export function SecretShow() {
  return (
    <Show queryOptions={useShowErrors()} actions={<DataShowActions />}>
      <SecretData />
    </Show>
  );
}

export function SecretEdit() {
  return <DataEdit noun="secret" secret />;
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
      transform={(d: { name: string; namespace: string; type?: string; pairs?: Row[] }) => ({
        metadata: { name: d.name, namespace: d.namespace },
        type: d.type ?? 'Opaque',
        data: pairsToData(d.pairs, toBase64),
      })}
    >
      <SimpleForm>
        <NamespaceInput validate={required()} />
        <TextInput source="name" label="Name" validate={required()} />
        <SelectInput source="type" label="Type" choices={TYPES} defaultValue="Opaque" />
        <KeyValueInputs secret />
      </SimpleForm>
    </Create>
  );
}
