export * from './types';
export * from './simulated';
export * from './docker';
export * from './process';
export * from './volumes';
