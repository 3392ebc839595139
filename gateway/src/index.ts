// Tokens are verified in the platform, which the registry shares; the gateway's users import them from here.
export { createAuthenticator, DEFAULT_MAX_TOKEN_AGE_SECONDS, mintToken, type Authenticator } from '@zigong/platform';
export * from './config';
export * from './datasource';
export * from './demand-control';
export * from './gateway';
export * from './supergraph-source';
export * from './persisted-queries';
export * from './rate-limit';
export * from './usage';
export * from './usage-coordinates';
