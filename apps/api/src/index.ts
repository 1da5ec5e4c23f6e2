export { startApiServer, resolveAdminToken } from './server';
export type { ApiServer } from './server';
export { loadConfig } from './config/app-config';
export type { AppConfig } from './config/app-config';
