export * from './types';
export * from './simulated';
