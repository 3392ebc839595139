// Lints planted snippets with the repository's own ESLint configuration, through ESLint's Node
// API, for layers.test.ts: jest's module sandbox cannot import() eslint.config.mjs, a child
// process can. Reads [{ filePath, code }] (filePath from the root) on stdin and writes, for each,
// the messages of no-restricted-imports, or the parse error, as JSON.
// The type-aware rules are off: a planted file is in no tsconfig project, and the layer rule
// needs no types.
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { ESLint } from 'eslint';

const ROOT = join(import.meta.dirname, '../..');
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: {
    languageOptions: { parserOptions: { project: null } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/await-thenable': 'off',
    },
  },
});

const planted = JSON.parse(await text(process.stdin));
const results = [];
for (const { filePath, code } of planted) {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, filePath) });
  const fatal = result.messages.filter((m) => m.fatal).map((m) => m.message);
  results.push(fatal.length ? { fatal } : { errors: result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message) });
}
process.stdout.write(JSON.stringify(results));
