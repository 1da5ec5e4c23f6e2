import { ApiError, errors, type ResourceDefinition } from '@berth/core';
import { StoreError } from '@berth/store';

/** Turns store failures into Kubernetes Status errors; anything else passes through. */
export function toApiError(err: unknown, def: ResourceDefinition, name: string): unknown {
  if (!(err instanceof StoreError)) return err;
  switch (err.code) {
    case 'NotFound':
      return errors.notFound(def.plural, name, def.group || undefined);
    case 'AlreadyExists':
      return errors.alreadyExists(def.plural, name, def.group || undefined);
    case 'Conflict':
      return errors.conflict(def.plural, name, err.message, def.group || undefined);
    case 'Expired':
      return errors.expired(err.message);
    case 'InvalidContinue':
      return errors.badRequest(err.message);
  }
  return new ApiError(500, 'InternalError', err.message);
}
