import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  errors,
  matchesFields,
  matchesLabels,
  qualifiedResource,
  type FieldRequirement,
  type KubeObject,
  type LabelSelector,
  type ResourceDefinition,
  type WatchEvent,
} from '@berth/core';
import {
  ChangeFeed,
  StoreError,
  type ChangeRecord,
  type FeedIndex,
  type Subscription,
} from '@berth/store';
import { serverError } from '../common/status-exception.filter';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { fieldsOf } from '@berth/registry';

export interface WatchRequest {
  def: ResourceDefinition;
  /** Undefined: all namespaces. */
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldRequirement[];
  /** Start after this revision. */
  fromRevision: bigint;
  /** Objects the client already holds (from the initial list), to turn "stops matching" into DELETED. */
  initiallyMatching: Set<string>;
  /** True when `initiallyMatching` is complete (the watch began with a list). */
  knowsInitialState: boolean;
  /** Authorization: objects the caller may see (undefined: all). */
  visible?: (object: KubeObject) => boolean;
}

export interface WatchSink {
  send(event: WatchEvent<KubeObject | Record<string, unknown>>): void;
  end(): void;
}

/** Live watches: a view over the process-wide change feed, filtered per request. */
@Injectable()
export class WatchService implements OnApplicationShutdown {
  private readonly logger = new Logger('Watch');
  private readonly open = new Set<() => void>();

  constructor(
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get openWatches(): number {
    return this.open.size;
  }

  /**
   * Streams events after `fromRevision` into `sink` until `stop()` is called, the
   * timeout passes, or the server shuts down. Resolves once the watch is live.
   */
  async start(
    req: WatchRequest,
    sink: WatchSink,
    opts: { timeoutSeconds?: number; bookmarks: boolean },
  ): Promise<() => void> {
    const resource = qualifiedResource(req.def);
    const matching = req.initiallyMatching;
    let lastRevision = req.fromRevision;
    let subscription: Subscription | undefined;
    let finished = false;
    const timers: NodeJS.Timeout[] = [];

    const stop = () => {
      if (finished) return;
      finished = true;
      subscription?.close();
      for (const t of timers) clearTimeout(t);
      this.open.delete(stop);
      sink.end();
    };

    const onChange = (change: ChangeRecord) => {
      lastRevision = change.revision;
      const event = this.toEvent(req, change, matching);
      if (event) sink.send(event);
    };
    const onError = (err: Error) => {
      const apiErr =
        err instanceof StoreError && err.code === 'Expired'
          ? errors.expired(err.message)
          : serverError(err, this.logger);
      sink.send({ type: 'ERROR', object: apiErr.toStatus() as unknown as Record<string, unknown> });
      stop();
    };

    this.open.add(stop);
    try {
      subscription = await this.feed.subscribe(req.fromRevision, {
        resource,
        index: this.indexFor(req, resource),
        onChange,
        onError,
      });
    } catch (err) {
      this.open.delete(stop);
      if (err instanceof StoreError && err.code === 'Expired') {
        sink.send({
          type: 'ERROR',
          object: errors.expired(err.message).toStatus() as unknown as Record<string, unknown>,
        });
        finished = true;
        sink.end();
        return () => undefined;
      }
      throw err;
    }
    if (finished) subscription.close();

    // As kube-apiserver: no timeoutSeconds (or 0) is the server's bound, a negative one ends
    // the watch at once (its timer has already fired); never beyond the server's maximum.
    const asked = opts.timeoutSeconds;
    const seconds =
      asked !== undefined && asked < 0
        ? 0
        : Math.min(
            asked && asked > 0 ? asked : this.config.maxWatchSeconds,
            this.config.maxWatchSeconds,
          );
    const timeout = setTimeout(stop, seconds * 1000);
    timeout.unref();
    timers.push(timeout);
    if (opts.bookmarks) {
      const tick = () => {
        if (finished) return;
        const rev = lastRevision > this.feed.revision ? lastRevision : this.feed.revision;
        sink.send({
          type: 'BOOKMARK',
          object: {
            kind: req.def.kind,
            apiVersion: req.def.group ? `${req.def.group}/${req.def.version}` : req.def.version,
            metadata: { resourceVersion: rev.toString() },
          },
        });
        const next = setTimeout(tick, this.config.bookmarkIntervalMs);
        next.unref();
        timers.push(next);
      };
      const first = setTimeout(tick, this.config.bookmarkIntervalMs);
      first.unref();
      timers.push(first);
    }
    return stop;
  }

  /**
   * An object's selectable fields, computed once per change however many watches look at
   * it (1,000 node agents each watch pods with a field selector).
   */
  private readonly fieldCache = new WeakMap<object, Record<string, string>>();
  private fields(def: ResourceDefinition, object: KubeObject): Record<string, string> {
    let fields = this.fieldCache.get(object);
    if (!fields) {
      fields = fieldsOf(def, object);
      this.fieldCache.set(object, fields);
    }
    return fields;
  }

  /**
   * A watch with an equality field selector (`spec.nodeName=node-7`) is only handed the
   * changes with that field value (now or before), not every change of the resource.
   */
  private indexFor(req: WatchRequest, resource: string): FeedIndex | undefined {
    const eq = req.fieldSelector.find((r) => r.operator === 'Equals');
    if (!eq) return undefined;
    return {
      name: `${resource}|${eq.field}`,
      value: eq.value,
      // A missing field compares as '' (as matchesFields does).
      valueOf: (change) => this.fields(req.def, change.object as KubeObject)[eq.field] ?? '',
    };
  }

  private toEvent(
    req: WatchRequest,
    change: ChangeRecord,
    matching: Set<string>,
  ): WatchEvent<KubeObject> | undefined {
    if (req.namespace !== undefined && req.def.namespaced && change.namespace !== req.namespace)
      return undefined;
    const object = change.object as KubeObject;
    if (req.visible && !req.visible(object)) return undefined;
    const key = `${change.namespace}/${change.name}`;
    const matches =
      matchesLabels(req.labelSelector, object.metadata?.labels) &&
      (req.fieldSelector.length === 0 ||
        matchesFields(req.fieldSelector, this.fields(req.def, object)));
    const filtered = req.labelSelector.length > 0 || req.fieldSelector.length > 0;
    if (change.type === 'DELETED') {
      const had = matching.delete(key);
      return matches || had ? { type: 'DELETED', object } : undefined;
    }
    if (!filtered) return { type: change.type, object };
    if (matches) {
      const had = matching.has(key);
      matching.add(key);
      if (change.type === 'ADDED') return { type: 'ADDED', object };
      // Without the initial state, assume a modified object matched before (as it most often did).
      return { type: had || !req.knowsInitialState ? 'MODIFIED' : 'ADDED', object };
    }
    if (matching.delete(key)) return { type: 'DELETED', object };
    return undefined;
  }

  onApplicationShutdown(): void {
    const open = [...this.open];
    if (open.length) this.logger.log(`closing ${open.length} open watch(es)`);
    for (const stop of open) stop();
  }
}
