import 'reflect-metadata';

// The platform's plumbing, for departments that import everything from the kit.
export * from '@zigong/platform';
export * from './auth';
export * from './authorization';
export * from './columns';
export * from './config';
export * from './database';
export * from './demand';
export * from './department';
export * from './division-code';
export * from './entity';
export * from './federation';
export * from './loaders';
export * from './main';
export * from './migration-step';
export * from './page-info';
export * from './pagination';
export * from './query-by-id';
export * from './registry';
export * from './selection';
export * from './seed';
export * from './server';
export * from './stubs';
export * from './replay-redis';
