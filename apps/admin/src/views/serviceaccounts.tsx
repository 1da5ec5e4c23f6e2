import ContentCopy from '@mui/icons-material/ContentCopy';
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useState } from 'react';
import {
  Create,
  FunctionField,
  Show,
  SimpleForm,
  TextInput,
  TopToolbar,
  required,
  useCanAccess,
  useNotify,
  useRecordContext,
} from 'react-admin';
import { objectPath, requestJson, RESOURCES, type KubeObject } from '../api';
import { Age, Empty, NamespaceInput, Section, useShowErrors } from '../components/common';
import { NamespacedList } from '../components/NamespacedList';
import { parseDuration } from '../format';

const secretsOf = (r: KubeObject) => ((r.secrets as unknown[] | undefined) ?? []).length;

/** What the API answered, kept in this dialog's state only (never cached, never stored). */
interface IssuedToken {
  token: string;
  expirationTimestamp: string;
  audiences: string[];
}

/**
 * "Create token" (kubectl create token): a TokenRequest for the account, with a duration
 * (1h unless told) and optional audiences. The token is shown once, in the dialog, and
 * forgotten when it closes: it goes through no dataProvider (so no react-admin cache) and
 * into no storage.
 */
export function CreateTokenButton({ account }: { account?: KubeObject }) {
  const record = useRecordContext<KubeObject>({ record: account });
  const { canAccess, isPending } = useCanAccess({
    action: 'create',
    resource: 'serviceaccounts/token',
    record,
  });
  const [open, setOpen] = useState(false);
  const [duration, setDuration] = useState('1h');
  const [audience, setAudience] = useState('');
  const [issued, setIssued] = useState<IssuedToken | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const notify = useNotify();
  if (!record || isPending || !canAccess) return null;
  const seconds = parseDuration(duration);
  const durationError =
    seconds === undefined
      ? 'a duration such as 1h, 30m or 2h30m'
      : seconds < 600
        ? 'at least 10 minutes'
        : undefined;
  const close = () => {
    setOpen(false);
    setIssued(undefined);
    setError(undefined);
    setDuration('1h');
    setAudience('');
  };
  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const audiences = audience
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean);
      const path = `${objectPath(RESOURCES.serviceaccounts, record.metadata.namespace, record.metadata.name)}/token`;
      const r = await requestJson<KubeObject>(path, {
        method: 'POST',
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: seconds, ...(audiences.length ? { audiences } : {}) },
        },
      });
      setIssued({
        token: r.status?.token as string,
        expirationTimestamp: r.status?.expirationTimestamp as string,
        audiences: (r.spec?.audiences as string[] | undefined) ?? [],
      });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const copy = () =>
    navigator.clipboard
      .writeText(issued!.token)
      .then(() => notify('Token copied', { type: 'info' }))
      .catch(() =>
        notify('Copy failed: select the token and copy it by hand', { type: 'warning' }),
      );
  const who = `${record.metadata.namespace}/${record.metadata.name}`;
  return (
    <>
      <Button
        size="small"
        onClick={(e) => {
          e.stopPropagation();
          setOpen(true);
        }}
      >
        Create token
      </Button>
      <Dialog
        open={open}
        onClose={close}
        fullWidth
        maxWidth="sm"
        // Clicks in the dialog (a portal) still bubble through React to a list row.
        onClick={(e) => e.stopPropagation()}
      >
        <DialogTitle>Token for service account {who}</DialogTitle>
        {issued ? (
          <>
            <DialogContent>
              <Alert severity="warning" sx={{ mb: 2 }}>
                Copy the token now: it is not stored and will not be shown again. Anyone holding it
                acts as system:serviceaccount:{record.metadata.namespace}:{record.metadata.name}{' '}
                until it expires.
              </Alert>
              <Stack direction="row" spacing={1} alignItems="center">
                <TextField
                  label="Token"
                  value={issued.token}
                  fullWidth
                  multiline
                  maxRows={4}
                  slotProps={{ htmlInput: { readOnly: true, 'data-testid': 'sa-token' } }}
                />
                <Tooltip title="Copy">
                  <IconButton aria-label="Copy token" onClick={() => void copy()}>
                    <ContentCopy />
                  </IconButton>
                </Tooltip>
              </Stack>
              <Typography variant="body2" sx={{ mt: 2 }} data-testid="sa-token-expiry">
                Expires {new Date(issued.expirationTimestamp).toLocaleString()} (
                {issued.expirationTimestamp})
              </Typography>
              <Typography variant="body2" color="text.secondary">
                Audiences: {issued.audiences.join(', ')}
              </Typography>
            </DialogContent>
            <DialogActions>
              <Button onClick={close}>Done</Button>
            </DialogActions>
          </>
        ) : (
          <>
            <DialogContent>
              {error ? (
                <Alert severity="error" sx={{ mb: 2 }} data-testid="sa-token-error">
                  {error}
                </Alert>
              ) : null}
              <TextField
                label="Duration"
                value={duration}
                onChange={(e) => setDuration(e.target.value)}
                error={!!durationError}
                helperText={durationError ?? 'How long the token is valid (kubectl --duration)'}
                fullWidth
                margin="dense"
                slotProps={{ htmlInput: { 'data-testid': 'sa-token-duration' } }}
              />
              <TextField
                label="Audience (optional)"
                value={audience}
                onChange={(e) => setAudience(e.target.value)}
                helperText="Comma-separated. Empty: this API's own audience. A token for another audience does not authenticate here."
                fullWidth
                margin="dense"
                slotProps={{ htmlInput: { 'data-testid': 'sa-token-audience' } }}
              />
            </DialogContent>
            <DialogActions>
              <Button onClick={close}>Cancel</Button>
              <Button
                variant="contained"
                disabled={!!durationError || busy}
                onClick={() => void create()}
              >
                Create
              </Button>
            </DialogActions>
          </>
        )}
      </Dialog>
    </>
  );
}

export function ServiceAccountList() {
  return (
    <NamespacedList
      noun="service account"
      plural="service accounts"
      deleteNote="Its tokens stop working at once; pods that use it keep running but cannot call the API. (The default account of a namespace is made again.)"
    >
      <FunctionField label="Secrets" render={(r: KubeObject) => secretsOf(r)} />
      <FunctionField label="" render={(r: KubeObject) => <CreateTokenButton account={r} />} />
    </NamespacedList>
  );
}

function ServiceAccountDetails() {
  const r = useRecordContext<KubeObject>();
  if (!r) return null;
  const secrets = (r.secrets as Array<{ name?: string }> | undefined) ?? [];
  const pulls = (r.imagePullSecrets as Array<{ name?: string }> | undefined) ?? [];
  return (
    <>
      <Section title="Service account">
        <Typography variant="body2">
          Username: system:serviceaccount:{r.metadata.namespace}:{r.metadata.name}
        </Typography>
        <Typography variant="body2">
          Age: <Age record={r} /> · Mounts a token in pods:{' '}
          {r.automountServiceAccountToken === false ? 'no' : 'yes'}
        </Typography>
      </Section>
      <Section title={`Secrets (${secrets.length})`}>
        {secrets.length ? (
          secrets.map((s) => (
            <Typography variant="body2" key={s.name}>
              {s.name}
            </Typography>
          ))
        ) : (
          <Empty>None (tokens are requested with Create token).</Empty>
        )}
      </Section>
      {pulls.length ? (
        <Section title="Image pull secrets">
          {pulls.map((s) => (
            <Typography variant="body2" key={s.name}>
              {s.name}
            </Typography>
          ))}
        </Section>
      ) : null}
    </>
  );
}

function ServiceAccountActions() {
  const record = useRecordContext<KubeObject>();
  // The same question CreateTokenButton asks (answered once): tells "not allowed" from "not known yet".
  const { isPending } = useCanAccess({
    action: 'create',
    resource: 'serviceaccounts/token',
    record,
  });
  return (
    <TopToolbar data-testid="show-actions" data-decided={!!record && !isPending}>
      <CreateTokenButton />
    </TopToolbar>
  );
}

export function ServiceAccountShow() {
  return (
    <Show queryOptions={useShowErrors()} actions={<ServiceAccountActions />}>
      <ServiceAccountDetails />
    </Show>
  );
}

export function ServiceAccountCreate() {
  return (
    <Create
      redirect="show"
      transform={(d: { name: string; namespace: string }) => ({
        metadata: { name: d.name, namespace: d.namespace },
      })}
    >
      <SimpleForm>
        <NamespaceInput validate={required()} />
        <TextInput source="name" label="Name" validate={required()} />
      </SimpleForm>
    </Create>
  );
}
