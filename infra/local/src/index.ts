export * from './composition';
export * from './config';
export * from './database';
export * from './embedded';
export * from './paths';
export * from './platform';
export * from './processes';
export * from './registry';
