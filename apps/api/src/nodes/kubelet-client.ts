/**
 * The API server's side of the API → node agent channel (Kubernetes' kubelet client):
 * `GET …/pods/{name}/log` is answered by the agent that runs the pod, reached at the
 * node's InternalIP and `status.daemonEndpoints.kubeletEndpoint.Port`.
 *
 * The agent must know the request comes from the API server. Each request carries a
 * short-lived token signed with the API server's Ed25519 key, naming the node, pod and
 * container it is for; the agent checks it with the public key it reads from
 * `GET /auth/kubelet-client-key`. The key pair is derived from the JWT secret, so every API
 * server replica sharing that secret signs alike and a restart changes nothing.
 */
import { createHmac, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError, errors, type KubeObject } from '@berth/core';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const TOKEN_TTL_SECONDS = 60;

/** What a token allows: one pod's logs on one node, for a minute. */
export interface KubeletClaims {
  node: string;
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

interface PodLike extends KubeObject {
  spec?: {
    nodeName?: string;
    containers?: Array<{ name: string }>;
    initContainers?: Array<{ name: string }>;
  };
}

interface NodeLike extends KubeObject {
  status?: {
    addresses?: Array<{ type: string; address: string }>;
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

const LOG_QUERY_INTS = ['tailLines', 'sinceSeconds', 'limitBytes'] as const;
const LOG_QUERY_BOOLS = ['follow', 'timestamps', 'previous'] as const;

/** The log request's options, validated as Kubernetes' PodLogOptions are. */
export function podLogQuery(query: Request['query']): URLSearchParams {
  const out = new URLSearchParams();
  const one = (name: string): string | undefined => {
    const v = query[name];
    return Array.isArray(v) ? String(v[v.length - 1]) : typeof v === 'string' ? v : undefined;
  };
  for (const name of LOG_QUERY_INTS) {
    const v = one(name);
    if (v === undefined || v === '') continue;
    if (!/^\d+$/.test(v))
      throw errors.badRequest(`${name} must be a whole number of 0 or more, got "${v}"`);
    if (name !== 'tailLines' && Number(v) < 1)
      throw errors.badRequest(`${name} must be greater than 0`);
    out.set(name, v);
  }
  const sinceTime = one('sinceTime');
  if (sinceTime) {
    if (out.has('sinceSeconds'))
      throw errors.badRequest('at most one of sinceTime or sinceSeconds may be specified');
    const ms = Date.parse(sinceTime);
    if (Number.isNaN(ms))
      throw errors.badRequest(`sinceTime must be an RFC 3339 time, got "${sinceTime}"`);
    out.set('sinceSeconds', String(Math.max(1, Math.ceil((Date.now() - ms) / 1000))));
  }
  for (const name of LOG_QUERY_BOOLS) {
    const v = one(name);
    if (v === undefined || v === '') continue;
    if (!['true', 'false', '1', '0'].includes(v))
      throw errors.badRequest(`${name} must be true or false, got "${v}"`);
    if (v === 'true' || v === '1') out.set(name, 'true');
  }
  return out;
}

/** The container a log request is for: the named one, or the pod's only container. */
export function logContainer(pod: PodLike, requested: string | undefined): string {
  const name = pod.metadata.name;
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const all = [...containers, ...(pod.spec?.initContainers ?? []).map((c) => c.name)];
  if (requested) {
    if (!all.includes(requested))
      throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (containers.length === 1) return containers[0];
  throw errors.badRequest(
    `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
  );
}

@Injectable()
export class KubeletClient {
  private readonly privateKey: KeyObject;
  readonly publicKeyPem: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const seed = createHmac('sha256', config.jwtSecret || 'berth-development-secret')
      .update('berth kubelet client key v1')
      .digest();
    this.privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    this.publicKeyPem = createPublicKey(this.privateKey)
      .export({ type: 'spki', format: 'pem' })
      .toString();
  }

  /** `<base64url claims>.<base64url Ed25519 signature>` */
  token(claims: Omit<KubeletClaims, 'exp'>, now = Date.now()): string {
    const payload = Buffer.from(
      JSON.stringify({ ...claims, exp: Math.floor(now / 1000) + TOKEN_TTL_SECONDS }),
    ).toString('base64url');
    const signature = sign(null, Buffer.from(payload), this.privateKey).toString('base64url');
    return `${payload}.${signature}`;
  }

  /**
   * Streams a container's log from the pod's node agent into `res`: the agent's answer
   * (text, or a Status on failure) is passed on as it comes, for as long as it lasts with
   * `follow`; the agent request is abandoned when the client goes.
   */
  async streamLogs(
    req: Request,
    res: Response,
    podObject: KubeObject,
    nodeObject: KubeObject | undefined,
  ): Promise<void> {
    const pod = podObject as PodLike;
    const node = nodeObject as NodeLike | undefined;
    const podName = pod.metadata.name!;
    const query = podLogQuery(req.query);
    const containerParam = req.query.container;
    const container = logContainer(
      pod,
      typeof containerParam === 'string' && containerParam ? containerParam : undefined,
    );
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${podName} does not have a host assigned`);
    if (!node)
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `node "${nodeName}" of pod ${podName} is not registered`,
      );
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!ip || !port)
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `the agent of node "${nodeName}" does not serve logs (no address or kubelet port in its status)`,
      );
    const namespace = pod.metadata.namespace!;
    const uid = pod.metadata.uid!;
    query.set('podUID', uid);
    const token = this.token({ node: nodeName, namespace, pod: podName, uid, container });
    const path = `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(
      podName,
    )}/${encodeURIComponent(container)}?${query.toString()}`;
    await new Promise<void>((resolve, reject) => {
      const upstream = http.get(
        { host: ip, port, path, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 },
        (answer) => {
          upstream.setTimeout(0);
          res.status(answer.statusCode ?? 502);
          res.setHeader('Content-Type', answer.headers['content-type'] ?? 'text/plain');
          res.setHeader('Cache-Control', 'no-cache');
          res.flushHeaders();
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', () => resolve());
        },
      );
      const unreachable = (err: Error) =>
        new ApiError(
          503,
          'ServiceUnavailable',
          `the agent of node "${nodeName}" at ${ip}:${port} is unreachable: ${err.message}`,
        );
      upstream.on('timeout', () => upstream.destroy(new Error('no answer within 10 s')));
      upstream.on('error', (err) => {
        if (res.headersSent) {
          res.end();
          resolve();
        } else reject(unreachable(err));
      });
      res.on('close', () => {
        upstream.destroy();
        resolve();
      });
    });
  }
}
