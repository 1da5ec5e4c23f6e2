/**
 * berth-agent: the node agent (kubelet, and the service proxy in ./proxy — see ARCHITECTURE.md).
 */
export * from './agent';
export * from './api-client';
export * from './config';
export * from './log';
export * from './node-agent';
export * from './pod-status';
export * from './proxy';
