export * from './types';
export * from './messages';
export * from './evaluate';
export * from './escalation';
export * from './bootstrap';
