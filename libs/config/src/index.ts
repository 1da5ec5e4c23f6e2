export * from './options';
export * from './log';
export * from './common';
