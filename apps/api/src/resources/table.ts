import type { KubeObject, ListMeta, ResourceDefinition } from '@berth/core';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** A `meta.k8s.io/v1` Table for kubectl's server-side printing. */
export function renderTable(
  def: ResourceDefinition,
  objects: KubeObject[],
  listMeta: ListMeta,
  include: IncludeObject,
  now = new Date(),
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: def.table.columns,
    rows: objects.map((obj) => ({
      cells: safeRow(def, obj, now),
      object:
        include === 'None'
          ? undefined
          : include === 'Object'
            ? obj
            : {
                kind: 'PartialObjectMetadata',
                apiVersion: 'meta.k8s.io/v1',
                metadata: obj.metadata,
              },
    })),
  };
}

function safeRow(def: ResourceDefinition, obj: KubeObject, now: Date): unknown[] {
  try {
    return def.table.row(obj, now);
  } catch {
    // A malformed stored object must not break a whole listing.
    return def.table.columns.map((c, i) => (i === 0 ? (obj.metadata?.name ?? '') : '<unknown>'));
  }
}
