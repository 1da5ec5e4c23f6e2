// Live updates: follow the API's watch for a resource and refresh the react-admin queries
// that show it (debounced, so a burst of events costs one refetch).
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { collectionPath, RESOURCES, watch } from './api';

export function useLive(
  resources: string | string[],
  namespace?: string,
  query: Record<string, string | undefined> = {},
): void {
  const queryClient = useQueryClient();
  const names = Array.isArray(resources) ? resources : [resources];
  const key = JSON.stringify([names, namespace, query]);
  useEffect(() => {
    const abort = new AbortController();
    for (const resource of names) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const info = RESOURCES[resource];
      void watch(
        collectionPath(info, namespace),
        query,
        () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            void queryClient.invalidateQueries({ queryKey: [resource] });
          }, 250);
        },
        abort.signal,
      );
      abort.signal.addEventListener('abort', () => clearTimeout(timer));
    }
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, queryClient]);
}
