export * from './types';
export * from './simulated';
export * from './process';
