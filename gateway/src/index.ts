export * from './auth';
export * from './config';
export * from './datasource';
export * from './demand-control';
export * from './gateway';
