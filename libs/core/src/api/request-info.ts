/**
 * What a request URL and method mean, like Kubernetes' RequestInfoFactory: which API
 * group/version, resource, namespace, name and subresource, and which verb. Pure.
 */
export type Verb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface RequestInfo {
  /** False for discovery paths such as `/api`, `/apis/apps/v1`. */
  isResourceRequest: boolean;
  prefix: 'api' | 'apis';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  verb: Verb | '';
}

/** Namespace subresources that must not be read as resources inside the namespace. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * `path` without the query string, e.g. `/api/v1/namespaces/a/pods/b/status`.
 * `isWatch` is true when the query has `watch=true` (or `1`).
 */
export function parseRequestInfo(method: string, path: string, isWatch: boolean): RequestInfo {
  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const info: RequestInfo = {
    isResourceRequest: false,
    prefix: 'api',
    group: '',
    version: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    verb: '',
  };
  const prefix = segments.shift();
  if (prefix !== 'api' && prefix !== 'apis') return info;
  info.prefix = prefix;
  if (prefix === 'apis') {
    info.group = segments.shift() ?? '';
  }
  info.version = segments.shift() ?? '';
  if (!info.version || segments.length === 0) return info;

  let parts = segments;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) {
      parts = parts.slice(2);
    }
  }
  info.isResourceRequest = true;
  info.resource = parts[0] ?? '';
  info.name = parts[1] ?? '';
  info.subresource = parts[2] ?? '';
  if (parts.length > 3) {
    // Deeper paths (e.g. proxy) are not served; keep the remainder visible in subresource.
    info.subresource = parts.slice(2).join('/');
  }

  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      info.verb = info.name ? (isWatch ? 'watch' : 'get') : isWatch ? 'watch' : 'list';
      break;
    case 'POST':
      info.verb = 'create';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = info.name ? 'delete' : 'deletecollection';
      break;
  }
  return info;
}
