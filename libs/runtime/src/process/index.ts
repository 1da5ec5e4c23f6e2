export { ProcessRuntime, createProcessRuntime } from './process-runtime';
export type { ProcessRuntimeLogger, ProcessRuntimeOptions } from './process-runtime';
