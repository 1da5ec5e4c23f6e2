export * from './field-errors';
export * from './names';
