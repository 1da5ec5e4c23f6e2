export * from './docker-runtime';
export { pingDocker } from './docker-io';
export { LABELS as DOCKER_LABELS, containerName as dockerContainerName } from './container-config';
