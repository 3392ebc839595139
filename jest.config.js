/** One jest run for the whole monorepo: unit, integration (*.int.test.ts) and end-to-end tests. */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  testMatch: [
    '<rootDir>/subgraphs/*/src/**/*.test.ts',
    '<rootDir>/gateway/src/**/*.test.ts',
    '<rootDir>/infra/*/src/**/*.test.ts',
    '<rootDir>/tests/**/*.test.ts',
  ],
  // Tests run the TypeScript sources, so a test never sees a stale build.
  moduleNameMapper: {
    '^@zigong/kit$': '<rootDir>/subgraphs/kit/src/index.ts',
    '^@zigong/kit/testing$': '<rootDir>/subgraphs/kit/src/testing.ts',
    '^@zigong/gateway$': '<rootDir>/gateway/src/index.ts',
    '^@zigong/local$': '<rootDir>/infra/local/src/index.ts',
    '^@zigong/explorer$': '<rootDir>/infra/explorer/src/index.ts',
    '^@zigong/reference$': '<rootDir>/infra/reference/src/index.ts',
    '^@zigong/([a-z0-9]+)$': '<rootDir>/subgraphs/$1/src/index.ts',
  },
  globalSetup: '<rootDir>/tests/setup/postgres.mjs',
  globalTeardown: '<rootDir>/tests/setup/postgres-stop.mjs',
  testTimeout: 60_000,
  // Test files share one Postgres server (a database each); two workers fill this machine's cores.
  maxWorkers: 2,
};
