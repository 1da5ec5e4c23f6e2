export * from './field-selector';
export * from './label-selector';
