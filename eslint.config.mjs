// ESLint for the TypeScript sources and tests, with typescript-eslint's type-aware rules for what
// the compiler lets through: a promise nobody awaits or catches (a rejection then crashes the
// process or is lost), or one passed where a plain value or callback result is expected.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'bench/contenders/**', 'bench/results/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'infra/local/templates/**',
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
          './infra/*/tsconfig.json',
          './packages/explorer/tsconfig.dashboard.json',
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
);
