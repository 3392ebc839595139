export * from './divisions';
export * from './ids';
export * from './people';
export * from './places';
export * from './random';
