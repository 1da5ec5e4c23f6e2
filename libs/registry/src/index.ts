export * from './registry';
export { toApiError } from './store-errors';
export * from './strategy';
export { BUILTIN_STRATEGIES } from './strategies';
