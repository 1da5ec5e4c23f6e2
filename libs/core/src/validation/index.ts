export * from './field-errors';
export * from './names';
export * from './json-duplicates';
