/**
 * The monorepo's tests in four tiers, told apart by file name, one jest project each:
 * - unit: `*.test.ts` — no database, no build, no other process (`npm run test:unit`);
 * - int: `*.int.test.ts` — a department against real Postgres (`npm run test:int`);
 * - e2e: `*.e2e.test.ts` — real HTTP servers, the gateway, child processes (`npm run test:e2e`);
 * - reliability: `tests/reliability/*` — faults and load (`npm run test:reliability`).
 * `npm test` runs them all. Postgres is started once per run, only where a tier needs it.
 */
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

const FOLDERS = ['<rootDir>/packages/*/src/**/', '<rootDir>/bench/src/**/', '<rootDir>/subgraphs/*/src/**/', '<rootDir>/gateway/src/**/', '<rootDir>/registry/src/**/', '<rootDir>/tests/**/'];
const matching = (suffix) => FOLDERS.map((folder) => `${folder}*${suffix}`);

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  // Tests run the TypeScript sources, so a test never sees a stale build.
  moduleNameMapper: {
    '^@zigong/platform$': '<rootDir>/packages/platform/src/index.ts',
    '^@zigong/kit$': '<rootDir>/subgraphs/kit/src/index.ts',
    '^@zigong/kit/testing$': '<rootDir>/subgraphs/kit/src/testing.ts',
    '^@zigong/gateway$': '<rootDir>/gateway/src/index.ts',
    '^@zigong/registry$': '<rootDir>/registry/src/index.ts',
    '^@zigong/cli$': '<rootDir>/packages/cli/src/index.ts',
    '^@zigong/explorer$': '<rootDir>/packages/explorer/src/index.ts',
    '^@zigong/reference-data$': '<rootDir>/packages/reference-data/src/index.ts',
    '^@zigong/([a-z0-9]+)$': '<rootDir>/subgraphs/$1/src/index.ts',
  },
};

// One Postgres server for the run (a database per test file), for the tiers that need one.
const postgres = {
  globalSetup: '<rootDir>/tests/setup/postgres.mjs',
  globalTeardown: '<rootDir>/tests/setup/postgres-stop.mjs',
};

const RELIABILITY = '<rootDir>/tests/reliability/';

module.exports = {
  testTimeout: 60_000,
  // Test files share one Postgres server; two workers fill this machine's cores.
  maxWorkers: 2,
  // A worker keeps some of every file's modules and servers it ran; past this it is replaced
  // before its next file, so a file's memory checks (tests/reliability) measure that file's
  // platform, not what the files before it left behind.
  workerIdleMemoryLimit: '768MB',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: matching('.test.ts'),
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '\\.e2e\\.test\\.ts$', RELIABILITY],
    },
    { ...common, ...postgres, displayName: 'int', testMatch: matching('.int.test.ts'), testPathIgnorePatterns: [RELIABILITY] },
    { ...common, ...postgres, displayName: 'e2e', testMatch: matching('.e2e.test.ts'), testPathIgnorePatterns: [RELIABILITY] },
    { ...common, ...postgres, displayName: 'reliability', testMatch: [`${RELIABILITY}**/*.test.ts`] },
  ],
};
