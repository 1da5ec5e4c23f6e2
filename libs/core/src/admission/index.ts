export * from './quota';
export * from './limit-range';
export * from './namespace-limit';
