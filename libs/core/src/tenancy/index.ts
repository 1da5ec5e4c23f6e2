export * from './access';
export * from './node-access';
