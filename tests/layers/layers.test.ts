/**
 * The layer rule (LAYERS in eslint.config.mjs) catches wrong-way imports: each case plants a
 * snippet at a path in a layer and lints it with the repository's own ESLint configuration
 * (lint-planted.mjs), as `npm run lint` would lint a file there.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

type Case = [what: string, filePath: string, code: string];

const WRONG_WAY: Case[] = [
  ['a department imports another department', 'subgraphs/tourism/src/planted.ts', "import { financeDepartment } from '@zigong/finance';"],
  ['a department reaches into another by a relative path', 'subgraphs/tourism/src/planted.ts', "import { Fund } from '../../finance/src/fund.entity';"],
  ['a department imports the platform past the kit', 'subgraphs/finance/src/planted.ts', "import { loadConfig } from '@zigong/platform';"],
  ['the platform imports the gateway', 'packages/platform/src/planted.ts', "import { startGateway } from '@zigong/gateway';"],
  ['the platform re-exports the kit', 'packages/platform/src/planted.ts', "export { defineDepartment } from '@zigong/kit';"],
  ['the kit imports a department (types only)', 'subgraphs/kit/src/planted.ts', "import type { Fund } from '@zigong/finance';"],
  ['the gateway imports the kit', 'gateway/src/planted.ts', "import { defineDepartment } from '@zigong/kit';"],
  ["the gateway's library code imports the explorer", 'gateway/src/planted.ts', "import { gatewayPages } from '@zigong/explorer';"],
  ['the explorer imports the gateway', 'packages/explorer/src/planted.ts', "import { startGateway } from '@zigong/gateway';"],
  ["the registry's library code imports the explorer", 'registry/src/planted.ts', "import { registryPages } from '@zigong/explorer';"],
  ['the reference data imports the kit', 'packages/reference-data/src/planted.ts', "import { defineDepartment } from '@zigong/kit';"],
  ['a department imports the cli', 'subgraphs/finance/src/planted.ts', "import { migrate } from '@zigong/cli';"],
  ['the gateway imports the cli by a relative path', 'gateway/src/planted.ts', "import { migrate } from '../../packages/cli/src/migrate';"],
  ['the gateway imports infra/ by a relative path', 'gateway/src/planted.ts', "import { runtimeFiles } from '../../infra/docker/runtime-files';"],
  ['the cli imports infra/ by a relative path', 'packages/cli/src/planted.ts', "import { runtimeFiles } from '../../../infra/docker/runtime-files';"],
];

const RIGHT_WAY: Case[] = [
  ['a department on the kit, the reference data and its own files', 'subgraphs/tourism/src/planted.ts',
    "import { defineDepartment } from '@zigong/kit';\nimport { departmentHarness } from '@zigong/kit/testing';\nimport { CAOTANG } from '@zigong/reference-data';\nimport { Alliance } from './alliance.entity';\nimport { m } from '../migrations/1';"],
  ['the kit on the platform', 'subgraphs/kit/src/planted.ts', "import { loadConfig } from '@zigong/platform';"],
  ['the gateway on the platform', 'gateway/src/planted.ts', "import { loadConfig } from '@zigong/platform';"],
  ["the gateway's main.ts mounting the explorer's pages", 'gateway/src/main.ts', "import { gatewayPages } from '@zigong/explorer';\nimport { startGateway } from './index';"],
  ["the registry's main.ts mounting the explorer's registry pages", 'registry/src/main.ts', "import { registryPages } from '@zigong/explorer';\nimport { startRegistry } from './server';"],
  ['the explorer on the platform', 'packages/explorer/src/planted.ts', "import { loadConfig } from '@zigong/platform';"],
  ['the cli on the kit and the gateway', 'packages/cli/src/planted.ts', "import { defineDepartment } from '@zigong/kit';\nimport { startGateway } from '@zigong/gateway';"],
];

type Linted = { errors: string[] } | { fatal: string[] };

/** One child process lints every case; the answers, in order, keyed by what each case plants. */
function lintAll(cases: Case[]): Map<string, Linted> {
  const input = JSON.stringify(cases.map(([, filePath, code]) => ({ filePath, code: `${code}\n` })));
  const output = execFileSync(process.execPath, [join(__dirname, 'lint-planted.mjs')], { input, encoding: 'utf8' });
  const results = JSON.parse(output) as Linted[];
  return new Map(cases.map(([what], i) => [what, results[i]]));
}

let linted: Map<string, Linted>;
beforeAll(() => {
  linted = lintAll([...WRONG_WAY, ...RIGHT_WAY]);
});

describe('the layer rule', () => {
  it.each(WRONG_WAY)('reports %s', (what) => {
    const result = linted.get(what)!;
    expect(result).toEqual({ errors: [expect.stringContaining('Layer rule: ')] });
  });

  it.each(RIGHT_WAY)('allows %s', (what) => {
    expect(linted.get(what)).toEqual({ errors: [] });
  });
});
