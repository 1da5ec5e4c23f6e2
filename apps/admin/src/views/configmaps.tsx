import { Alert } from '@mui/material';
import {
  Create,
  FunctionField,
  Show,
  SimpleForm,
  TextInput,
  required,
  useRecordContext,
} from 'react-admin';
import type { KubeObject } from '../api';
import { NamespaceInput, Section, useShowErrors } from '../components/common';
import { DataEdit, KeyValueInputs } from '../components/KeyValueEditor';
import {
  DataShowActions,
  KeyValueRow,
  KeyValueTable,
  NamespacedList,
} from '../components/NamespacedList';
import { pairsToData, type KeyValueRow as Row } from '../key-values';

const keysOf = (r: KubeObject) =>
  Object.keys(r.data ?? {}).length + Object.keys(r.binaryData ?? {}).length;

export function ConfigMapList() {
  return (
    <NamespacedList
      noun="config map"
      plural="config maps"
      deleteNote="Pods already running keep what they read; new pods that need it will not start."
    >
      <FunctionField label="Keys" render={(r: KubeObject) => keysOf(r)} />
    </NamespacedList>
  );
}

function ConfigMapData() {
  const r = useRecordContext<KubeObject>();
  if (!r) return null;
  const data = (r.data ?? {}) as Record<string, string>;
  const keys = Object.keys(data);
  return (
    <Section title="Data">
      {r.immutable ? (
        <Alert severity="info" sx={{ mb: 1 }}>
          Immutable: this config map&apos;s data cannot be changed.
        </Alert>
      ) : null}
      <KeyValueTable testId="configmap-data" count={keys.length}>
        {keys.map((k) => (
          <KeyValueRow key={k} k={k} value={data[k]} valueTestId={`configmap-value-${k}`} />
        ))}
      </KeyValueTable>
    </Section>
  );
}

export function ConfigMapShow() {
  return (
    <Show queryOptions={useShowErrors()} actions={<DataShowActions />}>
      <ConfigMapData />
    </Show>
  );
}

export function ConfigMapEdit() {
  return <DataEdit noun="config map" />;
}

export function ConfigMapCreate() {
  return (
    <Create
      redirect="show"
      transform={(d: { name: string; namespace: string; pairs?: Row[] }) => ({
        metadata: { name: d.name, namespace: d.namespace },
        data: pairsToData(d.pairs),
      })}
    >
      <SimpleForm>
        <NamespaceInput validate={required()} />
        <TextInput source="name" label="Name" validate={required()} />
        <KeyValueInputs />
      </SimpleForm>
    </Create>
  );
}
