import { runMain } from '@zigong/kit';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { composeRegistry, CompositionError } from './composition';
import { writeDeploymentFiles } from './deploy/generate';
import { DepartmentNameError, validateDepartmentName } from './department-name';
import { nextRegistryPort, registerDepartment, scaffoldDepartment } from './department-scaffold';
import { REGISTRY_PATH, ROOT } from './paths';
import { readRegistry } from './registry';
import { writeComposedSchema } from './schema-files';

const USAGE = 'Usage: npm run department:new -- <name> [--no-install]   (name: one lower-case word, e.g. "housing")';

/** A step that failed after files were written; everything is put back as it was. */
class StepFailed extends Error {}

/**
 * `npm run department:new -- <name>`: a working department module in subgraphs/<name>, registered
 * in supergraph.yaml on the next free port, built, composed into schema/, and linked into
 * node_modules. If building or composing fails, the folder and the registry are restored.
 */
runMain(async () => {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'no-install': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals.length !== 1) {
    (values.help ? console.log : console.error)(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const [name] = positionals;
  try {
    validateDepartmentName(name, { root: ROOT, registryPath: REGISTRY_PATH });
  } catch (error) {
    if (!(error instanceof DepartmentNameError)) throw error;
    console.error(`${error.code}: ${error.message}`);
    process.exit(2);
  }

  const port = nextRegistryPort(REGISTRY_PATH);
  const registryBefore = readFileSync(REGISTRY_PATH, 'utf8');
  const folder = join(ROOT, 'subgraphs', name);
  let written: string[];
  try {
    const files = scaffoldDepartment(name, { root: ROOT });
    console.log(`Created subgraphs/${name} (${files.length} files).`);
    registerDepartment(name, port, REGISTRY_PATH);
    console.log(`Registered ${name} in supergraph.yaml at http://127.0.0.1:${port}/graphql.`);
    const tsconfig = join('subgraphs', name, 'tsconfig.json');
    run(`Building: tsc -p ${tsconfig}`, [process.execPath, require.resolve('typescript/bin/tsc', { paths: [ROOT] }), '-p', tsconfig]);
    try {
      written = writeComposedSchema(await composeRegistry(readRegistry()));
    } catch (error) {
      if (error instanceof CompositionError) throw new StepFailed(error.message);
      throw error;
    }
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    writeFileSync(REGISTRY_PATH, registryBefore);
    console.error(`${error instanceof StepFailed ? error.message : String((error as Error)?.stack ?? error)}\nNothing was kept: subgraphs/${name} was removed and supergraph.yaml restored.`);
    process.exit(1);
  }
  console.log(`Composed:\n${written.map((path) => `  ${relative(ROOT, path)}`).join('\n')}`);
  // Its Kubernetes, compose and Router entries, generated from the registry like every other department's.
  console.log('Deployment files (npm run deploy:generate):');
  writeDeploymentFiles((line) => console.log(`  ${line}`));

  if (!values['no-install']) link(name);
  console.log(
    [
      '',
      `Department "${name}" is ready. Next:`,
      ...[
        [`npx jest subgraphs/${name}`, 'its tests, on a throw-away Postgres'],
        ['npm start', 'it runs with the others behind the gateway'],
        [`npm run schema:check -- ${name}`, 'after each change to its schema'],
        [`git add subgraphs/${name} supergraph.yaml schema infra package-lock.json`, ''],
      ].map(([command, why]) => `  ${command.padEnd(40)}  ${why}`.trimEnd()),
    ].join('\n'),
  );
  process.exit(0);
});

function run(what: string, command: string[]): void {
  console.log(what);
  const result = spawnSync(command[0], command.slice(1), { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new StepFailed(`${what} failed (exit code ${result.status ?? result.signal}).`);
}

/**
 * Links the new workspace into node_modules (and records it in package-lock.json) without the
 * network: every dependency it has is one the kit installed already. Failing here keeps the
 * department: the registry loads it from its folder until `npm install` links it.
 */
function link(name: string): void {
  // Under `npm run`, the npm that runs us; otherwise the one on PATH.
  const execpath = process.env.npm_execpath;
  const npm = execpath && /npm-cli\.js$/.test(execpath) ? [process.execPath, execpath] : ['npm'];
  const command = [...npm, 'install', '--offline', '--no-audit', '--no-fund'];
  console.log(`Linking: npm install --offline --no-audit --no-fund`);
  const result = spawnSync(command[0], command.slice(1), { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    console.warn(
      `npm install --offline failed (exit code ${result.status ?? result.signal}). The department works as it is ` +
        `(the runner loads it from subgraphs/${name}); run \`npm install\` to link @zigong/${name} and update package-lock.json.`,
    );
  }
}
