// ESLint for the TypeScript sources and tests, with typescript-eslint's type-aware rules for what
// the compiler lets through: a promise nobody awaits or catches (a rejection then crashes the
// process or is lost), or one passed where a plain value or callback result is expected. It also
// holds the layer rule (LAYERS below), so a wrong-way import fails `npm run lint`, which `npm test`
// runs (tests/layers/layers.test.ts plants some to prove it).
import { readdirSync } from 'node:fs';
import tseslint from 'typescript-eslint';

// Every folder of subgraphs/ but the kit is a department, so a department the scaffold adds is
// fenced off from the others without editing this file.
const DEPARTMENTS = readdirSync(new URL('./subgraphs/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'kit')
  .map((entry) => entry.name);

/**
 * The layers: the workspace packages each folder's sources may import. Arrows run one way, so a
 * lower layer never learns of a higher one and a department never of another: the platform and
 * the reference data at the bottom; the kit on the platform; each department on the kit (and the
 * reference data its seed draws from); the gateway and the registry on the platform; the explorer on the platform.
 * gateway/src/main.ts and registry/src/main.ts are their processes' composition roots: they alone
 * may hand the explorer's pages to startGateway and startRegistry, so neither's library code loads
 * any UI. The cli sits on top and may import any package but a department (it finds departments
 * through supergraph.yaml); bench/ and tests/ are not fenced. Nothing fenced may reach into infra/.
 */
const LAYERS = [
  { files: ['packages/platform/src/**/*.ts'], may: [] },
  { files: ['packages/reference-data/src/**/*.ts'], may: [] },
  { files: ['subgraphs/kit/src/**/*.ts'], may: ['platform'] },
  ...DEPARTMENTS.map((department) => ({ files: [`subgraphs/${department}/src/**/*.ts`], may: ['kit', 'kit/testing', 'reference-data'] })),
  { files: ['gateway/src/**/*.ts'], ignores: ['gateway/src/main.ts'], may: ['platform'] },
  { files: ['gateway/src/main.ts'], may: ['platform', 'explorer'] },
  { files: ['registry/src/**/*.ts'], ignores: ['registry/src/main.ts'], may: ['platform'] },
  { files: ['registry/src/main.ts'], may: ['platform', 'explorer'] },
  { files: ['packages/explorer/src/**/*.ts'], may: ['platform'] },
  { files: ['packages/cli/src/**/*.ts'], may: ['platform', 'reference-data', 'kit', 'kit/testing', 'gateway', 'registry', 'explorer'] },
];

/** One files block per layer: for a file, ESLint keeps the options of the last block that sets a rule. */
const layerRule = ({ files, ignores, may }) => ({
  files,
  ...(ignores ? { ignores } : {}),
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        {
          regex: may.length ? `^@zigong/(?!(?:${may.join('|')})$)` : '^@zigong/',
          message: `Layer rule: this folder may import ${may.length ? may.map((p) => `@zigong/${p}`).join(', ') : 'no workspace package'} (LAYERS in eslint.config.mjs).`,
        },
        {
          // A relative path out of the package would step around the rule above.
          regex: String.raw`^(?:\.\./)+(?:[^/]+/)*(?:src|dist|infra)(?:/|$)`,
          message: 'Layer rule: import another workspace by its package name, never by a relative path into its folder or into infra/.',
        },
      ],
    }],
  },
});

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'bench/contenders/**', 'bench/results/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'packages/cli/templates/**',
      // The explorer's GraphiQL app is bundled by esbuild and type-checked with it; its dashboard has a tsconfig.
      'packages/explorer/src/app/*.ts'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // The packages' own configurations leave their tests out; tsconfig.tests.json has them and tests/.
        project: [
          './tsconfig.tests.json',
          './packages/*/tsconfig.json',
          './subgraphs/*/tsconfig.json',
          './gateway/tsconfig.json',
          './registry/tsconfig.json',
          './packages/explorer/tsconfig.dashboard.json',
          './packages/explorer/tsconfig.registry.json',
          './bench/tsconfig.json',
          './tests/reliability/tsconfig.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  ...LAYERS.map(layerRule),
);
