#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { DEPARTMENT_NAME } from '@zigong/kit';
import { DepartmentNameError, validateDepartmentName } from './department-name';
import { REGISTRY_PATH, ROOT } from './paths';
import { parseQueryArguments, UsageError } from './query.cli';
import { readRegistry } from './registry';
import { addRegistryVerbs, EXIT_CODES_HELP } from './registry.cli';
import { addAppVerbs } from './app.cli';
import { addUsageVerbs } from './usage.cli';

/**
 * `zigong`: the platform's one command line, in verb groups as rover's (`dev`, `subgraph check`,
 * `department new`, `deploy generate`…). It parses and validates the arguments (a wrong one is a
 * clear message and exit 2), then runs the verb's program, each still a file of this package (or
 * the gateway's token.js) that the deployment files and tests start directly. Each runs as a child
 * process with the arguments given here, so a program behaves exactly as when started directly:
 * its exit code, its signals, its own `process.exit`. The registry's verbs (`subgraph publish`,
 * `supergraph fetch`…, registry.cli.ts) are HTTP clients with nothing to start: they run here.
 */

/** A wrong invocation, as the programs it runs answer one. */
const USAGE_EXIT = 2;

/** Runs one of the compiled programs with `args`; this process exits with its code. */
function run(program: string, args: string[]): void {
  const child = spawn(process.execPath, [program, ...args], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the program too (same process group); a supervisor's SIGTERM
  // reaches only this process, so it is passed on. Either way this process waits for the program.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const cli = (file: string) => join(__dirname, file);
const gatewayProgram = (file: string) => join(dirname(require.resolve('@zigong/gateway/package.json')), 'dist', file);

/** Help's closing lines: the examples, one `$ zigong …` a line with what it does. */
const examples = (...lines: [command: string, what: string][]) => {
  const width = Math.max(...lines.map(([command]) => command.length));
  return `\nExamples:\n${lines.map(([command, what]) => `  $ ${command.padEnd(width)}  ${what}`).join('\n')}`;
};

/** A department registered in supergraph.yaml, for verbs that act on one. */
function registeredDepartment(name: string): string {
  if (!DEPARTMENT_NAME.test(name)) throw new InvalidArgumentError(`"${name}" is not a department name (one lower-case word, e.g. tourism).`);
  const registered = readRegistry().map((entry) => entry.name);
  if (!registered.includes(name)) throw new InvalidArgumentError(`"${name}" is not a department in supergraph.yaml; registered: ${registered.join(', ')}.`);
  return name;
}

/** A name `department new` can take: well-formed, not reserved, not taken. */
function newDepartmentName(name: string): string {
  try {
    validateDepartmentName(name, { root: ROOT, registryPath: REGISTRY_PATH });
  } catch (error) {
    if (error instanceof DepartmentNameError) throw new InvalidArgumentError(`${error.code}: ${error.message}`);
    throw error;
  }
  return name;
}

function wholeNumber(min: number, max: number) {
  return (value: string): string => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return value;
  };
}

export function zigongProgram(): Command {
  const program = new Command('zigong')
    .description("The Zigong collective-economy graph's command line: run it locally, manage departments and their schema, query it, deploy it.")
    .showHelpAfterError('(add --help for usage and examples)')
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT))
    .addHelpText('after', examples(['zigong dev', 'Postgres, every subgraph and the gateway (npm start)'], ['zigong subgraph check tourism --schema t.graphql', "a department's schema change, checked by the registry"], ['zigong subgraph publish tourism --from http://127.0.0.1:4004/graphql', 'published to the registry'], ['zigong migrate --help', 'any verb\'s options and examples']));

  program
    .command('dev')
    .summary('run everything locally: Postgres, the registry, each subgraph, the gateway (npm start)')
    .description("Start an embedded Postgres, migrate and seed every department and the schema registry, start the registry and each subgraph, publish each department to the registry, then start the gateway on the registry's supergraph; Ctrl-C stops everything. What `npm start` runs (after a build). SUBGRAPH_<NAME>_URL, GATEWAY_PORT, REGISTRY_PORT and PG_PORT move it.")
    .addHelpText('after', examples(['zigong dev', 'the gateway on http://127.0.0.1:4000/graphql'], ['DATABASE_URL=postgres://… zigong dev', 'on a Postgres of your own instead'], ['PG_DATABASE=zigong_x10 zigong dev', 'serve data made by `zigong data generate --scale 10`']))
    .action(() => run(cli('start.js'), []));

  program
    .command('seed')
    .summary("every department's migrations and reference data, on the local database")
    .description("Apply every department's migrations and load the reference data (only missing rows), on the database `zigong dev` uses.")
    .addHelpText('after', examples(['zigong seed', 'on the embedded Postgres'], ['DATABASE_URL=postgres://… zigong seed', 'on another Postgres']))
    .action(() => run(cli('seed.js'), []));

  program
    .command('reset')
    .summary('delete the embedded Postgres data')
    .description('Delete the embedded Postgres data; the next `zigong dev` rebuilds it. Refuses when DATABASE_URL is set.')
    .addHelpText('after', examples(['zigong reset && zigong dev', 'start again from the reference data']))
    .action(() => run(cli('reset.js'), []));

  program
    .command('migrate')
    .summary("one department's migrations (--seed: and its reference data), or the registry's")
    .description("Apply one department's migrations (and with --seed its reference data), or the schema registry's (`zigong migrate registry`), under an advisory lock: the deployment's migration step.")
    .argument('<department>', 'a department of supergraph.yaml, or registry', (name: string) => (name === 'registry' ? name : registeredDepartment(name)))
    .option('--seed', 'also load its reference data (only missing rows)')
    .addHelpText('after', examples(['zigong migrate finance', "finance's migrations"], ['DATABASE_URL=postgres://… zigong migrate tourism --seed', 'migrations and reference data'], ['DATABASE_URL=postgres://… zigong migrate registry', "the schema registry's migrations"]))
    .action((department: string, options: { seed?: boolean }, command: Command) => {
      if (department !== 'registry') return run(cli('migrate.js'), [department, ...(options.seed ? ['--seed'] : [])]);
      if (options.seed) command.error('error: the registry has no reference data: `zigong migrate registry` takes no --seed.', { exitCode: USAGE_EXIT });
      run(require.resolve('@zigong/registry/dist/migrate.js'), []);
    });

  program
    .command('bootstrap')
    .summary("the departments' and the registry's database roles, before any migration")
    .description("Create the departments' and the schema registry's login roles and groups, before any migration (the deployment's first step; needs DATABASE_URL, each <DEPARTMENT>_DATABASE_URL and REGISTRY_DATABASE_URL).")
    .argument('[departments...]', 'departments of supergraph.yaml, or registry (default: all of them and the registry)', (name: string, previous: string[] = []) => [
      ...previous,
      name === 'registry' ? name : registeredDepartment(name),
    ])
    .addHelpText('after', examples(['zigong bootstrap', 'every department and the registry'], ['zigong bootstrap housing', 'a department just added'], ['zigong bootstrap registry', "the registry's login only"]))
    .action((departments: string[] = []) => run(cli('bootstrap.js'), departments));

  program
    .command('compose')
    .summary('recompose schema/ from every department')
    .description("Compose every department's schema into schema/ (their SDL, the supergraph, the API schema) and the Kubernetes supergraph copy.")
    .addHelpText('after', examples(['zigong compose', 'after changing a department, then commit schema/']))
    .action(() => run(cli('compose.js'), []));

  const subgraph = program
    .command('subgraph')
    .summary("publish | check | list | delete: a department's subgraph in the schema registry")
    .description("A department's subgraph schema in the schema registry (and, with `check --offline`, against the committed schema/ files).")
    .addHelpText('after', EXIT_CODES_HELP);
  addRegistryVerbs(program, subgraph, {
    // The committed-files check as before the registry; `npm run schema:check` runs it.
    offlineCheck: (name, command) => {
      try {
        registeredDepartment(name);
      } catch (error) {
        if (error instanceof InvalidArgumentError) command.error(`error: ${error.message}`, { exitCode: USAGE_EXIT });
        throw error;
      }
      run(cli('schema-check-cli.js'), [name]);
    },
  });
  addUsageVerbs(program);

  addAppVerbs(program);

  const department = program.command('department').summary('new <name>: scaffold, register and compose a department').description('The departments: each a folder of subgraphs/ and an entry of supergraph.yaml.');
  department
    .command('new')
    .description('Scaffold a working department in subgraphs/<name>, register it on the next free port, build, compose it and write its deployment files.')
    .argument('<name>', 'one lower-case word, not taken or reserved', newDepartmentName)
    .option('--no-install', 'do not run npm install to link the new package')
    .addHelpText('after', examples(['zigong department new housing', 'subgraphs/housing, registered and composed'], ['zigong department new housing --no-install', 'without linking it into node_modules']))
    .action((name: string, options: { install: boolean }) => run(cli('department-new.js'), [name, ...(options.install ? [] : ['--no-install'])]));

  const data = program.command('data').summary('generate --scale <n>: N times the reference data, in its own database').description('Data sets beyond the reference data.');
  data
    .command('generate')
    .description('Load N times the reference data into its own database (zigong_x<N>, or PG_DATABASE), leaving the data of `zigong dev` as it is.')
    .requiredOption('--scale <n>', 'how many times the reference data (1 to 1000)', wholeNumber(1, 1000))
    .addHelpText('after', examples(['zigong data generate --scale 10', 'then: PG_DATABASE=zigong_x10 zigong dev']))
    .action((options: { scale: string }) => run(cli('generate.js'), ['--scale', options.scale]));

  program
    .command('query')
    .summary('run a saved question (.graphql) against the gateway: JSON, CSV or a table')
    .description('Run the one operation of a .graphql file against the gateway and print its data as JSON, CSV or a table. Exit 1 on GraphQL errors.')
    .argument('<file>', 'a .graphql file holding one operation, e.g. schema/operations/CityIncomeSummary.graphql')
    .option('--variables <json>', "a JSON object overriding the file's default variables")
    .option('--format <format>', 'json (default), csv or table')
    .option('--bom', 'with --format csv: a UTF-8 byte order mark first, so Excel reads Chinese correctly')
    .option('--token <jwt>', 'sent as "Authorization: Bearer <jwt>"')
    .option('--url <gateway>', 'the GraphQL endpoint (default http://127.0.0.1:4000/graphql)')
    .addHelpText('after', examples(
      ['zigong query schema/operations/CityIncomeSummary.graphql', 'the answer as JSON'],
      ["zigong query q.graphql --variables '{\"year\": 2023}' --format table", 'aligned for a terminal'],
      ['zigong query q.graphql --format csv --bom > q.csv', 'for a spreadsheet'],
    ))
    .action((_file: string, _options: unknown, command: Command) => {
      // query.cli.ts holds the rules (formats, --bom only with csv, variables a JSON object, http(s) URL).
      try {
        parseQueryArguments(command.args.concat(rawOptions(command)));
      } catch (error) {
        if (error instanceof UsageError) command.error(`error: ${error.message}`, { exitCode: USAGE_EXIT });
        throw error;
      }
      run(cli('query.js'), command.args.concat(rawOptions(command)));
    });

  program
    .command('token')
    .summary('a bearer token the local gateway accepts')
    .description("Mint a bearer token the local gateway accepts (signed with its JWT_SECRET); the gateway's own token.js, so a token is what the gateway would check.")
    .requiredOption('--sub <who>', 'the subject')
    .option('--scope <scopes>', 'space-separated scopes, any names, e.g. "finance:write organization:personnel" (README, Field authorization, lists those the schema asks for)')
    .option('--expires <duration>', 'lifetime, e.g. 30m, 1h (default 1h)')
    .addHelpText('after', examples(['zigong token --sub alice --scope "finance:write"', 'after a build'], ['zigong token --sub hr --scope "organization:personnel finance:read"', "reads members' backgrounds and allocations' authors"], ['zigong query q.graphql --token "$(zigong token --sub alice)"', 'a query as alice']))
    .action((_options: unknown, command: Command) => run(gatewayProgram('token.js'), rawOptions(command)));

  const deploy = program.command('deploy').summary('generate: the Kubernetes, compose and Router files, from supergraph.yaml').description('Deployment files: Kubernetes, compose and the Router, from supergraph.yaml.');
  deploy
    .command('generate')
    .description("Write every deployment file that depends on the departments (infra/k8s, infra/docker-compose.yml, the Router's per-department maps); refuses a connection budget that does not fit.")
    .addHelpText('after', examples(['zigong deploy generate', 'after adding a department or changing the model, then commit infra/']))
    .action(() => run(cli('deploy/generate.js'), []));

  return program;
}

/** The options given on the command line, as `--name value` arguments for the program run. */
function rawOptions(command: Command): string[] {
  return Object.entries(command.opts<Record<string, string | boolean | undefined>>()).flatMap(([name, value]) =>
    value === undefined || value === false ? [] : value === true ? [`--${name}`] : [`--${name}`, value],
  );
}

if (require.main === module) void zigongProgram().parseAsync();
