export { ProcessRuntime, createProcessRuntime } from './process-runtime';
export type { ProcessRuntimeLogger, ProcessRuntimeOptions } from './process-runtime';
export { DEFAULT_POD_UID_RANGE, parseUidRange } from './identity';
