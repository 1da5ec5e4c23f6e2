// The key/value editor of ConfigMaps and Secrets (create and edit): rows of key and value
// that can be added, renamed and removed. An edit is saved as one JSON Patch guarded by the
// resourceVersion the page loaded (see key-values.ts), so a Secret's values the user does
// not touch are never read, and a change made meanwhile by someone else is a clear
// conflict, not an overwrite.
import { Alert, Button, Stack } from '@mui/material';
import { useState } from 'react';
import { useFormContext, useWatch } from 'react-hook-form';
import {
  ArrayInput,
  BooleanInput,
  Edit,
  SaveButton,
  SimpleForm,
  SimpleFormIterator,
  TextInput,
  Toolbar,
  required,
  useNotify,
  useRecordContext,
  useRedirect,
  useRefresh,
  useResourceContext,
  useSourceContext,
  useUpdate,
  type HttpError,
} from 'react-admin';
import { readSecretValue, type KubeObject } from '../api';
import { dataPatch, rowsOf, toBase64, type KeyValueRow as Row } from '../key-values';
import { useShowErrors } from './common';
import { KeyValueRow, KeyValueTable } from './NamespacedList';

/** How a Secret's value shows until revealed. */
export const MASK = '••••••';

const KEY_RE = /^[-._a-zA-Z0-9]+$/;

/** A config key as the API checks it (validation.IsConfigMapKey), said before saving. */
function configKey(value: unknown): string | undefined {
  const k = String(value ?? '');
  if (!k) return undefined;
  if (k.length > 253) return 'must be no more than 253 characters';
  if (!KEY_RE.test(k))
    return "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
  if (k === '.' || k === '..' || k.startsWith('..'))
    return "must not be '.', '..' or start with '..'";
  return undefined;
}

/** Each key once: a map cannot hold two. */
function uniqueKey(value: unknown, all: { pairs?: Row[] }): string | undefined {
  if (!value) return undefined;
  const n = (all.pairs ?? []).filter((r: Row) => r.key === value).length;
  return n > 1 ? `key ${String(value)} is given more than once` : undefined;
}

/**
 * A Secret's value in the editor: a row loaded from the Secret shows an empty password
 * field (the value is kept unless something is typed) and a Reveal that reads the value
 * through the same audited GET as the Show page; a new row is a plain password field.
 */
function SecretValueInput({ secret }: { secret?: KubeObject }) {
  const source = useSourceContext();
  const originalKey = useWatch({ name: source.getSource('originalKey') }) as string | undefined;
  const { setValue } = useFormContext();
  const notify = useNotify();
  const [shown, setShown] = useState(false);
  const loaded = originalKey !== undefined;
  const reveal = async () => {
    try {
      const value = await readSecretValue(
        secret?.metadata.namespace,
        secret?.metadata.name ?? '',
        originalKey!,
      );
      if (value === undefined)
        notify(`key ${originalKey} is no longer in the secret`, { type: 'warning' });
      else {
        setValue(source.getSource('value'), value, { shouldDirty: true });
        setShown(true);
      }
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Stack direction="row" spacing={1} alignItems="flex-start">
      <TextInput
        source="value"
        label="Value"
        type={shown ? 'text' : 'password'}
        placeholder={loaded && !shown ? '•••••• (unchanged)' : undefined}
        helperText={
          loaded && !shown
            ? 'Hidden: type a new value to replace it, or leave empty to keep it'
            : false
        }
        slotProps={{ inputLabel: { shrink: loaded || undefined } }}
      />
      {loaded && !shown ? (
        <Button
          size="small"
          sx={{ mt: 1.5 }}
          onClick={() => void reveal()}
          aria-label={`Reveal ${originalKey}`}
        >
          Reveal
        </Button>
      ) : null}
    </Stack>
  );
}

/**
 * The rows of key and value (`pairs`), for Create and Edit alike; `secret` (the Secret being
 * edited, or true on Create) makes the values password fields.
 */
export function KeyValueInputs({ secret }: { secret?: KubeObject | true }) {
  return (
    <ArrayInput source="pairs" label="Data">
      <SimpleFormIterator
        inline
        disableReordering
        // Remove always shown (react-admin shows it on hover only: not for keyboards or touch).
        sx={{ '& .RaSimpleFormIterator-action': { visibility: 'visible' } }}
      >
        <TextInput source="key" label="Key" validate={[required(), configKey, uniqueKey]} />
        {secret ? (
          <SecretValueInput secret={secret === true ? undefined : secret} />
        ) : (
          <TextInput source="value" label="Value" multiline />
        )}
      </SimpleFormIterator>
    </ArrayInput>
  );
}

/** What an edit of an immutable object shows: the note, and no way to save. */
function ImmutableNote({ noun }: { noun: string }) {
  return (
    <Alert severity="info" data-testid="immutable-note" sx={{ m: 2 }}>
      This {noun} is immutable (<code>immutable: true</code>): its data cannot be changed. To change
      it, create a new {noun} and point the workloads at it, then delete this one.
    </Alert>
  );
}

interface FormValues {
  pairs?: Row[];
  makeImmutable?: boolean;
}

function DataEditForm({ noun, secret }: { noun: string; secret: boolean }) {
  const record = useRecordContext<KubeObject & { id: string }>();
  const resource = useResourceContext()!;
  const [update] = useUpdate();
  const notify = useNotify();
  const redirect = useRedirect();
  const refresh = useRefresh();
  const [conflict, setConflict] = useState<string | undefined>();
  if (!record) return null;
  const data = record.data as Record<string, string> | undefined;
  if (record.immutable) {
    const keys = Object.keys(data ?? {}).sort();
    return (
      <>
        <ImmutableNote noun={noun} />
        <KeyValueTable testId="immutable-data" count={keys.length}>
          {keys.map((k) => (
            <KeyValueRow key={k} k={k} value={secret ? MASK : data![k]} />
          ))}
        </KeyValueTable>
      </>
    );
  }
  const save = (values: FormValues) => {
    const jsonPatch = dataPatch(data, values.pairs ?? [], {
      resourceVersion: record.metadata.resourceVersion ?? '',
      encode: secret ? toBase64 : undefined,
      valuesHidden: secret,
      makeImmutable: values.makeImmutable,
    });
    setConflict(undefined);
    update(
      resource,
      { id: record.id, data: {}, previousData: record, meta: { jsonPatch } },
      {
        onSuccess: () => {
          notify(`${noun} ${record.metadata.name} saved`, { type: 'success' });
          redirect('show', resource, record.id);
        },
        onError: (e) => {
          const err = e as HttpError;
          if (err.status === 409)
            setConflict(
              `${record.metadata.name} was changed by someone else after this page loaded it, so nothing was saved (the API said: ${err.message}). Reload to get the current version, then make your changes again.`,
            );
          else notify(err.message, { type: 'error' });
        },
      },
    );
  };
  return (
    <>
      {conflict ? (
        <Alert
          severity="error"
          data-testid="edit-conflict"
          sx={{ m: 2 }}
          action={
            <Button
              color="inherit"
              size="small"
              onClick={() => {
                setConflict(undefined);
                refresh();
              }}
            >
              Reload
            </Button>
          }
        >
          {conflict}
        </Alert>
      ) : null}
      <SimpleForm
        // A new resourceVersion (after Reload) starts the form again from the stored data.
        key={record.metadata.resourceVersion}
        record={{ pairs: rowsOf(data, !secret) }}
        onSubmit={(v: Record<string, unknown>) => save(v as FormValues)}
        toolbar={
          <Toolbar>
            <SaveButton alwaysEnable />
          </Toolbar>
        }
      >
        <KeyValueInputs secret={secret ? record : undefined} />
        <BooleanInput
          source="makeImmutable"
          label={`Make this ${noun} immutable (cannot be undone)`}
        />
      </SimpleForm>
    </>
  );
}

/**
 * The Edit page of a config map (`secret` false) or a secret: key/value rows, Save as one
 * guarded JSON Patch; read-only with a note for an immutable object.
 */
export function DataEdit({ noun, secret = false }: { noun: string; secret?: boolean }) {
  return (
    <Edit mutationMode="pessimistic" queryOptions={useShowErrors()} actions={false}>
      <DataEditForm noun={noun} secret={secret} />
    </Edit>
  );
}
