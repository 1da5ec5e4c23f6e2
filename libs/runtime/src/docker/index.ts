export * from './docker-runtime';
export { LABELS as DOCKER_LABELS, containerName as dockerContainerName } from './container-config';
