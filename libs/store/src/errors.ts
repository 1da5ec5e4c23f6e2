/** Failures of the store, mapped to Kubernetes Status codes by the API. */
export type StoreErrorCode =
  'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'InvalidContinue';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
