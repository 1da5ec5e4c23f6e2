export * from './allocation';
export * from './port-limit';
export * from './proxy-budget';
export * from './proxy-rules';
