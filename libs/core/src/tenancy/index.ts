export * from './access';
export * from './node-access';
export * from './pod-security';
