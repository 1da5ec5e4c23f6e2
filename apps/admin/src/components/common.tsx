import { Box, Chip, LinearProgress, Stack, Tooltip, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import {
  CreateButton,
  DeleteWithConfirmButton,
  ExportButton,
  FilterButton,
  TopToolbar,
  SelectInput,
  useCanAccess,
  useGetList,
  useNotify,
  Link,
  useCreatePath,
  useRecordContext,
  useRedirect,
  useResourceContext,
  type DeleteWithConfirmButtonProps,
  type SelectInputProps,
} from 'react-admin';
import type { KubeObject } from '../api';
import { podState } from '../pod-state';
import { useLive } from '../live';
import { age, quantityNumber, showQuantity } from '../format';

/**
 * One quota as a bar: used out of the limit, with an optional second mark (e.g. what the
 * namespace quotas already reserve of a tenant cap).
 */
export function QuotaBar(props: {
  resource: string;
  used: unknown;
  hard: unknown;
  reserved?: number;
  label?: string;
  testId?: string;
}) {
  // A quantity that does not parse shows as written, with an empty bar.
  const used = quantityNumber(props.used);
  const hard = quantityNumber(props.hard);
  const pct = used !== undefined && hard ? Math.min(100, Math.max(0, (used / hard) * 100)) : 0;
  const color = pct >= 90 ? 'error' : pct >= 70 ? 'warning' : 'primary';
  const label = props.label ?? props.resource;
  return (
    <Box sx={{ mb: 1.5 }} data-testid={props.testId ?? `quota-${label}`}>
      <Stack direction="row" justifyContent="space-between">
        <Typography variant="body2">{label}</Typography>
        <Typography variant="body2" color="text.secondary" data-testid="quota-text">
          {showQuantity(props.resource, props.used)} / {showQuantity(props.resource, props.hard)}
          {props.reserved !== undefined
            ? ` (namespace quotas: ${showQuantity(props.resource, props.reserved)})`
            : ''}
        </Typography>
      </Stack>
      <LinearProgress
        variant="determinate"
        value={pct}
        color={color}
        aria-label={`${label}: ${Math.round(pct)}% used`}
        sx={{ height: 8, borderRadius: 4 }}
      />
    </Box>
  );
}

/** The bars of a `hard`/`used` pair (ResourceQuota status, Tenant quota). */
export function QuotaBars(props: {
  hard?: Record<string, string>;
  used?: Record<string, string>;
  reserved?: Record<string, number>;
}) {
  const keys = Object.keys(props.hard ?? {});
  if (!keys.length)
    return (
      <Typography variant="body2" color="text.secondary">
        No quota set.
      </Typography>
    );
  return (
    <>
      {keys.map((k) => (
        <QuotaBar
          key={k}
          resource={k}
          used={props.used?.[k] ?? '0'}
          hard={props.hard![k]}
          reserved={props.reserved?.[k]}
        />
      ))}
    </>
  );
}

export function PodStatusChip({ pod, withReason }: { pod: KubeObject; withReason?: boolean }) {
  const s = podState(pod);
  const chip = <Chip size="small" label={s.label} color={s.color} data-testid="pod-status" />;
  if (withReason && s.reason)
    return (
      <Stack direction="row" spacing={1} alignItems="center">
        {chip}
        <Typography variant="body2" color="text.secondary" data-testid="pod-reason">
          {s.reason}
        </Typography>
      </Stack>
    );
  return s.reason ? (
    <Tooltip title={s.reason}>
      <span>{chip}</span>
    </Tooltip>
  ) : (
    chip
  );
}

export { podState, restartsOf } from '../pod-state';

export function Age({ record }: { record?: KubeObject }) {
  const ts = record?.metadata?.creationTimestamp;
  return (
    <Tooltip title={ts ?? ''}>
      <span>{age(ts)}</span>
    </Tooltip>
  );
}

/** A select of the namespaces the caller can see. */
export function NamespaceInput(props: Omit<SelectInputProps, 'source'> & { source?: string }) {
  const { data, isPending } = useGetList('namespaces', {
    pagination: { page: 1, perPage: 1000 },
    sort: { field: 'metadata.name', order: 'ASC' },
  });
  return (
    <SelectInput
      source="namespace"
      label="Namespace"
      isPending={isPending}
      choices={(data ?? []).map((n) => ({ id: n.metadata.name, name: n.metadata.name }))}
      {...props}
    />
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Box component="section" sx={{ mb: 3 }}>
      <Typography variant="h6" component="h2" gutterBottom>
        {title}
      </Typography>
      {children}
    </Box>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
      {children}
    </Typography>
  );
}

/**
 * Query options for a Show page: a failed read (e.g. another tenant's object, which does
 * not exist for the caller) is reported with the API's own message, then back to the list.
 */
export function useShowErrors() {
  const notify = useNotify();
  const redirect = useRedirect();
  const resource = useResourceContext();
  return {
    retry: false,
    onError: (err: Error) => {
      notify(err.message, { type: 'error' });
      redirect('list', resource);
    },
  };
}

/** The object's name as a link to its page (keyboard-reachable, unlike a clickable row). */
export function NameField(_: { label?: string; sortBy?: string }) {
  const record = useRecordContext<KubeObject & { id: string }>();
  const resource = useResourceContext();
  const createPath = useCreatePath();
  if (!record) return null;
  return (
    <Link
      to={createPath({ resource, id: record.id, type: 'show' })}
      onClick={(e: { stopPropagation(): void }) => e.stopPropagation()}
    >
      {record.metadata.name}
    </Link>
  );
}

/** The events about one object, newest first, live (what `kubectl describe` ends with). */
export function ObjectEvents({ namespace, name }: { namespace: string; name: string }) {
  const fieldSelector = `involvedObject.name=${name}`;
  const events = useGetList('events', {
    pagination: { page: 1, perPage: 20 },
    sort: { field: 'lastTimestamp', order: 'DESC' },
    filter: { namespace, fieldSelector },
  });
  useLive('events', namespace, { fieldSelector });
  if (events.isPending) return <LinearProgress />;
  if (!events.data?.length) return <Empty>No events.</Empty>;
  return (
    <Stack spacing={0.5} data-testid="object-events">
      {events.data.map((e) => (
        <Typography variant="body2" key={e.id}>
          <Chip
            size="small"
            label={e.type}
            color={e.type === 'Warning' ? 'warning' : 'default'}
            sx={{ mr: 1 }}
          />
          <strong>{e.reason}</strong> {e.message}{' '}
          <Typography component="span" variant="body2" color="text.secondary">
            ({age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp)} ago
            {e.count > 1 ? `, ×${e.count}` : ''})
          </Typography>
        </Typography>
      ))}
    </Stack>
  );
}

/** Delete with confirmation, shown only to callers allowed to delete the record. */
export function GuardedDelete(props: DeleteWithConfirmButtonProps) {
  const record = useRecordContext<KubeObject>(props);
  const resource = useResourceContext(props);
  const { canAccess } = useCanAccess({ action: 'delete', resource, record });
  if (!record || !canAccess) return null;
  return <DeleteWithConfirmButton {...props} />;
}

/**
 * A list's actions: Create only for callers allowed to create (decided from the rules
 * review; `data-decided` tells "not allowed" from "not known yet"), then Export.
 */
export function ListActions({ filters = true }: { filters?: boolean }) {
  const resource = useResourceContext();
  const { canAccess, isPending } = useCanAccess({ action: 'create', resource });
  return (
    <TopToolbar data-testid="list-actions" data-decided={!isPending}>
      {filters ? <FilterButton /> : null}
      {canAccess ? <CreateButton /> : null}
      <ExportButton />
    </TopToolbar>
  );
}

/** A plain table's frame: scrolls sideways inside its card, rows ruled like the lists. */
export function TableBox({ children }: { children: ReactNode }) {
  return (
    <Box
      sx={{
        overflowX: 'auto',
        '& table': { borderCollapse: 'collapse', width: '100%' },
        '& th, & td': {
          textAlign: 'left',
          p: 1,
          borderBottom: '1px solid',
          borderColor: 'divider',
        },
      }}
    >
      {children}
    </Box>
  );
}

/** An object's status conditions, one line each (`Complete=True (Reason) message`). */
export function ConditionList({ conditions }: { conditions?: Array<Record<string, string>> }) {
  if (!conditions?.length) return <Empty>None reported yet.</Empty>;
  return (
    <>
      {conditions.map((c) => (
        <Typography variant="body2" key={c.type} data-testid="condition">
          {c.type}={c.status} {c.reason ? `(${c.reason})` : ''} {c.message}
        </Typography>
      ))}
    </>
  );
}
