export * from './api/types';
export * from './api/status';
export * from './api/request-info';
export * from './api/delete-options';
export * from './api/list-options';
export * from './resources';
export * from './selectors';
export * from './patch';
export * from './quantity';
export * from './validation';
export * from './protobuf';
export * from './scheduling';
export * from './controllers';
export * from './rbac';
export * from './tenancy';
export * from './admission';
export * from './services';
/** The kubelet's pure pieces (env, volume files), as a namespace: their names overlap others. */
export * as workloads from './workloads';
