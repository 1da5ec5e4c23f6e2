/**
 * What the kubelet computes for a container from its pod spec, as pure functions: its
 * environment, and the files of its configMap/secret/downwardAPI/projected volumes with
 * the atomic writer's plan for putting them on disk. Not exported from the package root
 * yet (issue 12 wires it into the runtime).
 */
export * from './expand';
export * from './field-refs';
export * from './service-env';
export * from './env';
export * from './volume-files';
export * from './atomic-writer';
export * from './api-access-volume';
