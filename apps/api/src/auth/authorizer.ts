import { Injectable } from '@nestjs/common';
import { errors, type RequestInfo } from '@berth/core';
import type { Principal } from './principal';

/**
 * Decides whether a principal may make a request. Cluster admins may do everything;
 * discovery is open to every authenticated caller; anything else is denied by default
 * until an RBAC rule grants it.
 */
@Injectable()
export class Authorizer {
  authorize(p: Principal, info: RequestInfo): void {
    if (p.clusterAdmin) return;
    if (!info.isResourceRequest) return; // discovery documents
    throw errors.forbidden(forbiddenText(p, info));
  }
}

/** Kubernetes' wording for a denied resource request. */
export function forbiddenText(p: Principal, info: RequestInfo): string {
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const subject = info.name ? `${info.resource} "${info.name}"` : info.resource;
  const scope = info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${p.name}" cannot ${info.verb} resource "${resource}" in API group "${info.group}" ${scope}`;
}
