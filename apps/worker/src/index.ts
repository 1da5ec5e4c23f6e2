export { startWorker } from './worker';
export type { RunningWorker } from './worker';
export { loadWorkerConfig } from './config';
export type { WorkerConfig } from './config';
