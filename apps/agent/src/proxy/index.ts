export { Balancer } from './balancer';
export { NoCredential, type TokenProvider } from './informer';
export {
  ServiceProxy,
  tokenFromFile,
  type ProxyCounts,
  type ProxyStats,
  type ServiceProxyOptions,
} from './service-proxy';
