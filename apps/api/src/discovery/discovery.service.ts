import { Injectable } from '@nestjs/common';
import { RESOURCES, groupVersion, type RequestInfo, type ResourceDefinition } from '@berth/core';
import { REVIEW_RESOURCES } from '../auth/reviews';

/** Kubernetes' version this API speaks (kubectl warns on a skew of more than one minor). */
export const KUBERNETES_VERSION = { major: '1', minor: '32' };
export const BERTH_VERSION = '0.1.0';

function resourceEntries(defs: ResourceDefinition[]) {
  const entries: Record<string, unknown>[] = [];
  for (const def of defs) {
    entries.push({
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs,
      ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
      ...(def.categories.length ? { categories: def.categories } : {}),
    });
    if (def.hasStatus) {
      entries.push({
        name: `${def.plural}/status`,
        singularName: '',
        namespaced: def.namespaced,
        kind: def.kind,
        verbs: ['get', 'patch', 'update'],
      });
    }
    if (def.scale) {
      entries.push({
        name: `${def.plural}/scale`,
        singularName: '',
        namespaced: def.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
    }
    if (def.group === '' && def.plural === 'pods') {
      // The Eviction subresource: `kubectl drain` evicts through it when listed.
      entries.push({
        name: 'pods/eviction',
        singularName: '',
        namespaced: true,
        group: 'policy',
        version: 'v1',
        kind: 'Eviction',
        verbs: ['create'],
      });
    }
    if (def.group === '' && def.plural === 'serviceaccounts') {
      // The TokenRequest subresource (`kubectl create token`).
      entries.push({
        name: 'serviceaccounts/token',
        singularName: '',
        namespaced: true,
        group: 'authentication.k8s.io',
        version: 'v1',
        kind: 'TokenRequest',
        verbs: ['create'],
      });
    }
  }
  return entries;
}

/** Legacy (non-aggregated) discovery documents, which every kubectl understands. */
@Injectable()
export class DiscoveryService {
  version() {
    return {
      major: KUBERNETES_VERSION.major,
      minor: KUBERNETES_VERSION.minor,
      gitVersion: `v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.0-berth.${BERTH_VERSION}`,
      gitCommit: 'berth',
      gitTreeState: 'clean',
      buildDate: '2026-11-22T00:00:00Z',
      goVersion: `node${process.versions.node}`,
      compiler: 'tsc',
      platform: `${process.platform}/${process.arch}`,
    };
  }

  private groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const def of RESOURCES) {
      if (!def.group) continue;
      const versions = groups.get(def.group) ?? [];
      if (!versions.includes(def.version)) versions.push(def.version);
      groups.set(def.group, versions);
    }
    for (const review of REVIEW_RESOURCES) groups.set(review.group, [review.version]);
    return groups;
  }

  private apiGroup(name: string, versions: string[]) {
    return {
      name,
      versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    };
  }

  /** The discovery document for a non-resource path under /api or /apis, or undefined. */
  document(info: RequestInfo, path: string): Record<string, unknown> | undefined {
    const trimmed = path.replace(/\/+$/, '');
    if (trimmed === '/api') {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
      };
    }
    if (trimmed === '/apis') {
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...this.groups()].map(([name, versions]) => this.apiGroup(name, versions)),
      };
    }
    if (info.prefix === 'api' && info.version === 'v1' && trimmed === '/api/v1') {
      return this.resourceList('', 'v1');
    }
    if (info.prefix === 'apis') {
      const versions = this.groups().get(info.group);
      if (!versions) return undefined;
      if (trimmed === `/apis/${info.group}`)
        return { kind: 'APIGroup', apiVersion: 'v1', ...this.apiGroup(info.group, versions) };
      if (versions.includes(info.version) && trimmed === `/apis/${info.group}/${info.version}`) {
        return this.resourceList(info.group, info.version);
      }
    }
    return undefined;
  }

  private resourceList(group: string, version: string) {
    const defs = RESOURCES.filter((d) => d.group === group && d.version === version);
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: groupVersion({ group, version }),
      resources: [
        ...resourceEntries(defs),
        ...REVIEW_RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => ({
          name: r.plural,
          singularName: r.kind.toLowerCase(),
          namespaced: false,
          kind: r.kind,
          verbs: ['create'],
        })),
      ],
    };
  }
}
