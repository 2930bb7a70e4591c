export { formatHostPort, isLoopbackAddress, resolveBindAddress } from './bind-address';
export { checkHopLimit, DEFAULT_HOP_LIMIT } from './hop-limit';
export { createImdsHandler, type ImdsHandlerOptions } from './imds-handler';
export { DEFAULT_IMDS_PORT, type ImdsServer, type ImdsServerOptions, startImdsServer } from './imds-server';
export {
  createTokenStore,
  MAX_TOKEN_TTL_SECONDS,
  MIN_TOKEN_TTL_SECONDS,
  parseTokenTtl,
  type TokenStore,
  type TokenStoreOptions,
} from './token-store';
