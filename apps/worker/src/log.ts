// The worker logs through the one logger of every Berth process.
export { createLogger, type Logger } from '@berth/config';
