export * from './access';
export * from './node-access';
export * from './node-graph';
export * from './pod-security';
