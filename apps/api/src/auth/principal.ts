/**
 * Who is calling: the result of authentication, attached to the request as `req.user`.
 * Authorization (RBAC, tenant isolation, node restriction) decides from this alone.
 */
export interface Principal {
  /**
   * user: a person (JWT session or API token); serviceaccount: a ServiceAccount's token;
   * node: an agent; bootstrap: an agent registering.
   */
  kind: 'user' | 'serviceaccount' | 'node' | 'bootstrap';
  /** The RBAC subject name: the username, `system:node:<node>`, or `system:bootstrap:<id>`. */
  name: string;
  /** RBAC groups, always including `system:authenticated`. */
  groups: string[];
  /** Users: their id in the store (absent for the static admin token); accounts: their uid. */
  uid?: string;
  /** A cluster admin may do everything (the `system:masters` group in Kubernetes terms). */
  clusterAdmin: boolean;
  /** An API token limited to one tenant and at most one tenant role. */
  scope?: { tenant: string; role?: string };
  /** Node credentials: the Node they are bound to. */
  nodeName?: string;
  /** How the caller proved who they are. */
  via: 'session' | 'token' | 'serviceaccount' | 'node' | 'bootstrap' | 'static';
  /** The credential (API token, node or bootstrap token) used, for revocation and audit. */
  credentialId?: string;
}

export const AUTHENTICATED = 'system:authenticated';
export const MASTERS = 'system:masters';
export const NODES = 'system:nodes';
export const BOOTSTRAPPERS = 'system:bootstrappers';

export function nodeUser(nodeName: string): string {
  return `system:node:${nodeName}`;
}
