/**
 * Pure reconcile decisions of Berth's controllers: `decide(desired, observed, now) → actions`.
 * No I/O; inputs are never mutated; results are deterministic given `now` (and, for pod
 * names, an injectable suffix generator). The worker (apps/worker) reads the objects, calls
 * these, and applies the actions with resourceVersion-guarded writes.
 */
export * from './events';
export * from './replicaset';
export * from './deployment';
export * from './node-lifecycle';
export * from './garbage-collector';
export * from './quota';
export * from './namespace';
export * from './endpoints';
export * from './service-account';
export * from './daemon-set';
export * from './daemon-set-history';
export * from './job';
export * from './cronjob';
export * from './disruption';
export * from './root-ca';
export * from './service-account-token';
export * from './disruption-scale';
export * from './statefulset';
export * from './hpa';
