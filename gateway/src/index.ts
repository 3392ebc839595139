export * from './auth';
export * from './config';
export * from './datasource';
export * from './demand-control';
export * from './gateway';
export * from './supergraph-source';
export * from './persisted-queries';
export * from './rate-limit';
