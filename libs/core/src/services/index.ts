export * from './allocation';
export * from './proxy-rules';
