export * from './quota';
export * from './limit-range';
