export * from './registry';
export { toApiError } from './store-errors';
