// Live updates: follow the API's watch for a resource and refresh the react-admin queries
// that show it (debounced, so a burst of events costs one refetch). Identical watches are
// shared between components, and a page keeps to a few streams: browsers allow only six
// HTTP/1.1 connections per host, and every open watch holds one.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { collectionPath, RESOURCES, watch } from './api';

interface Shared {
  listeners: Set<() => void>;
  abort: AbortController;
}

const open = new Map<string, Shared>();

/** Subscribes to a watch (shared with other subscribers of the same one); returns unsubscribe. */
export function subscribe(
  path: string,
  query: Record<string, string | undefined>,
  listener: () => void,
): () => void {
  const key = `${path}?${JSON.stringify(query)}`;
  let shared = open.get(key);
  if (!shared) {
    const s: Shared = { listeners: new Set(), abort: new AbortController() };
    open.set(key, s);
    void watch(path, query, () => s.listeners.forEach((l) => l()), s.abort.signal);
    shared = s;
  }
  shared.listeners.add(listener);
  const mine = shared;
  return () => {
    mine.listeners.delete(listener);
    if (mine.listeners.size === 0) {
      mine.abort.abort();
      open.delete(key);
    }
  };
}

/**
 * Refreshes the queries of `resources` (and of `alsoRefresh`: what changes with them, e.g.
 * a Deployment's ReplicaSets) whenever the watch of `resources` reports a change.
 */
export function useLive(
  resources: string | string[],
  namespace?: string,
  query: Record<string, string | undefined> = {},
  alsoRefresh: string[] = [],
): void {
  const queryClient = useQueryClient();
  const names = Array.isArray(resources) ? resources : [resources];
  const key = JSON.stringify([names, namespace, query, alsoRefresh]);
  useEffect(() => {
    const stops = names.map((resource) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const unsubscribe = subscribe(collectionPath(RESOURCES[resource], namespace), query, () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          for (const r of [resource, ...alsoRefresh])
            void queryClient.invalidateQueries({ queryKey: [r] });
        }, 250);
      });
      return () => {
        clearTimeout(timer);
        unsubscribe();
      };
    });
    return () => stops.forEach((stop) => stop());
    // Deliberate dependencies: the values that change what is watched or chosen.
  }, [key, queryClient]);
}
