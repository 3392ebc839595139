import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { ConfigError, DEPARTMENT_NAME } from '@zigong/kit';
import { DEFAULT_REGISTRY_URL, readRegistryCliEnv, RegistryClient, type RegistryCliEnv, RegistryError, registryToken } from './registry-client';
import {
  checkSubgraph,
  compositionHistory,
  currentSubgraphs,
  deleteSubgraph,
  EXIT,
  exitCodeFor,
  failureJson,
  formatCheck,
  formatComposition,
  formatFailure,
  formatHistory,
  formatPublish,
  formatSubgraphs,
  publishSubgraph,
  rollbackVariant,
  sdlFromFile,
  sdlFromSubgraph,
} from './registry-verbs';

/**
 * The registry verbs' command line, in rover's shape: `zigong subgraph publish|check|list|delete`
 * and `zigong supergraph fetch|history|rollback`. They run in the `zigong` process itself (they are
 * HTTP clients, with nothing of their own to start), each ending with an exit code CI can read.
 */

export const EXIT_CODES_HELP = `
Exit codes:
  0  done (published, unchanged, the check passes, …)
  1  refused: composition errors, contract breaks, broken registered operations, usage or app breaks, an SDL the registry will not take
  2  a wrong invocation: arguments, the schema file, an unknown variant, subgraph or composition
  3  the registry (or the --from subgraph) unreachable, the token missing or refused, or the registry failed`;

const REGISTRY_HELP = `
Registry and token:
  --registry, else ZIGONG_REGISTRY_URL, else ${DEFAULT_REGISTRY_URL} (the one \`zigong dev\` runs).
  --token, else ZIGONG_REGISTRY_TOKEN. For a registry on 127.0.0.1 or localhost without one, the CLI
  signs a short-lived token with the development secret, with just the scope the verb needs.`;

/** After a verb's examples: where the registry and the token come from, and the exit codes. */
export const registryHelp = `\n${REGISTRY_HELP}\n${EXIT_CODES_HELP}`;

export const examples = (...lines: [command: string, what: string][]) => {
  const width = Math.max(...lines.map(([command]) => command.length));
  return `\nExamples:\n${lines.map(([command, what]) => `  $ ${command.padEnd(width)}  ${what}`).join('\n')}`;
};

export interface CommonOptions {
  registry?: string;
  token?: string;
  variant: string;
  json?: boolean;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL (e.g. http://127.0.0.1:4010).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`"${value}" is not an http(s) URL.`);
  return value;
}

function subgraphName(name: string): string {
  if (!DEPARTMENT_NAME.test(name)) throw new InvalidArgumentError(`"${name}" is not a subgraph name (a department's one lower-case word, e.g. tourism).`);
  return name;
}

export function variantName(name: string): string {
  if (!/^[a-z][a-z0-9_-]{0,30}$/.test(name)) throw new InvalidArgumentError(`"${name}" is not a variant name (e.g. production, staging).`);
  return name;
}

function compositionId(id: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(id)) throw new InvalidArgumentError(`"${id}" is not a composition id (a number, as \`zigong supergraph history\` shows).`);
  return id;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000.');
  return n;
}

/** The options every registry verb takes. */
export function withRegistryOptions(command: Command, { json = true } = {}): Command {
  command
    .option('--registry <url>', `the registry (default: ZIGONG_REGISTRY_URL, else ${DEFAULT_REGISTRY_URL})`, httpUrl)
    .option('--token <jwt>', 'bearer token (default: ZIGONG_REGISTRY_TOKEN; minted locally for a registry on this machine)')
    .addOption(new Option('--variant <name>', 'the variant').default('production').argParser(variantName));
  if (json) command.option('--json', 'print the answer as JSON, for scripts and CI');
  return command;
}

/** What a verb gives back: its text for people, its JSON for `--json`, its exit code. */
export interface Outcome {
  text: string;
  json: unknown;
  exit: number;
}

/**
 * Runs a verb against the registry with a token for `scope`, prints its outcome or its failure
 * (every error, with each composition error, contract break and operation) and exits.
 */
export async function against(options: CommonOptions, scope: string, verb: (client: RegistryClient, env: RegistryCliEnv) => Promise<Outcome>): Promise<never> {
  let outcome: Outcome;
  try {
    let env;
    try {
      env = readRegistryCliEnv();
    } catch (error) {
      if (error instanceof ConfigError) throw new RegistryError('USAGE', error.message);
      throw error;
    }
    const url = options.registry ?? env.registryUrl ?? DEFAULT_REGISTRY_URL;
    const client = new RegistryClient(url, () => registryToken(url, options.token ?? env.token, scope));
    outcome = await verb(client, env);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    if (options.json) return finish(process.stdout, failureJson(error), exitCodeFor(error));
    return finish(process.stderr, formatFailure(error), exitCodeFor(error));
  }
  return finish(process.stdout, options.json ? `${JSON.stringify(outcome.json, null, 2)}\n` : outcome.text, outcome.exit);
}

/** Exits once the text is written: a pipe to a slower reader must get all of a supergraph. */
function finish(stream: NodeJS.WriteStream, text: string, code: number): Promise<never> {
  return new Promise<never>(() => {
    stream.write(text, () => process.exit(code));
  });
}

function sdlFrom(options: { schema?: string; from?: string }, env: RegistryCliEnv): Promise<string> {
  return options.schema ? sdlFromFile(options.schema) : sdlFromSubgraph(options.from!, env.signingSecret);
}

/** Exactly one of --schema and --from, else a usage error (exit 2). */
function oneSource(command: Command, options: { schema?: string; from?: string }): void {
  if (options.schema && options.from) command.error('error: give either --schema <file> or --from <url>, not both.', { exitCode: EXIT.USAGE });
  if (!options.schema && !options.from) command.error('error: give the SDL with --schema <file> or --from <running subgraph URL>.', { exitCode: EXIT.USAGE });
}

export interface RegistryVerbHooks {
  /** `zigong subgraph check <name> --offline`: the committed-files check (schema-check-cli). */
  offlineCheck: (department: string, command: Command) => void;
}

/** Adds publish, check, list and delete to `subgraph`, and the `supergraph` group to `program`. */
export function addRegistryVerbs(program: Command, subgraph: Command, hooks: RegistryVerbHooks): void {
  withRegistryOptions(
    subgraph
      .command('publish')
      .description("Publish a subgraph's SDL to a registry variant: composed with the others and, when accepted, served to the gateways. Refused with every composition error, contract break, broken registered operation, breaking change to what clients used in the window (usage break) and broken active app operation; nothing served changes then. Breaking changes no client used pass, with a warning.")
      .argument('<name>', 'the subgraph (department) name', subgraphName)
      .option('--schema <file>', 'the SDL, from a UTF-8 file')
      .option('--from <url>', "the SDL of a running subgraph ({ _service { sdl } }); also its default routing URL", httpUrl)
      .option('--routing-url <url>', 'where gateways reach it (default: --from, else its current one)', httpUrl)
      .option('--commit <sha>', 'the commit published, recorded with the version')
      .option('--branch <name>', 'the branch published, recorded with the version'),
  )
    .addHelpText(
      'after',
      examples(
        ['zigong subgraph publish tourism --from http://127.0.0.1:4004/graphql', 'what the running subgraph serves'],
        ['zigong subgraph publish tourism --schema schema/tourism.graphql --routing-url http://tourism:4004/graphql', 'from a file'],
        ['zigong subgraph publish tourism --schema t.graphql --commit "$CI_COMMIT_SHA" --branch main --json', "a department's CI, on main"],
      ) + registryHelp,
    )
    .action(async (name: string, options: CommonOptions & { schema?: string; from?: string; routingUrl?: string; commit?: string; branch?: string }, command: Command) => {
      oneSource(command, options);
      await against(options, `${name}:publish`, async (client, env) => {
        const sdl = await sdlFrom(options, env);
        const result = await publishSubgraph(client, {
          variant: options.variant,
          subgraph: name,
          sdl,
          routingUrl: options.routingUrl ?? options.from,
          commit: options.commit,
          branch: options.branch,
        });
        return { text: formatPublish(name, options.variant, result), json: result, exit: EXIT.OK };
      });
    });

  withRegistryOptions(
    subgraph
      .command('check')
      .description(
        "Check a subgraph's SDL against a registry variant without publishing it: composition errors, breaking, dangerous and safe API changes, contract breaks, registered operations that would stop validating, usage breaks (operations, clients, versions, counts, last seen), app breaks, and the unused breaking changes as warnings. Exit 1 when publish would refuse it. With --offline: the check against the committed schema/ files, no registry needed (what `npm run schema:check` runs).",
      )
      .argument('<name>', 'the subgraph (department) name', subgraphName)
      .option('--schema <file>', 'the SDL, from a UTF-8 file')
      .option('--from <url>', 'the SDL of a running subgraph ({ _service { sdl } })', httpUrl)
      .option('--routing-url <url>', 'the routing URL to check with (default: its current one)', httpUrl)
      .option('--offline', "check the department's code as built against the committed schema/ files instead (no registry)"),
  )
    .addHelpText(
      'after',
      examples(
        ['zigong subgraph check tourism --schema schema/tourism.graphql', 'against production, in the registry'],
        ['zigong subgraph check tourism --from http://127.0.0.1:4004/graphql --variant staging --json', 'a running subgraph, against staging, as JSON'],
        ['zigong subgraph check tourism --offline', 'the committed-files check (npm run schema:check -- tourism; build first)'],
      ) + registryHelp,
    )
    .action(async (name: string, options: CommonOptions & { schema?: string; from?: string; routingUrl?: string; offline?: boolean }, command: Command) => {
      if (options.offline) {
        if (options.schema || options.from || options.registry || options.token || options.json || options.routingUrl) {
          command.error('error: --offline checks the department as built against the committed files; it takes none of --schema, --from, --routing-url, --registry, --token, --json.', { exitCode: EXIT.USAGE });
        }
        return hooks.offlineCheck(name, command);
      }
      oneSource(command, options);
      await against(options, `${name}:publish`, async (client, env) => {
        const check = await checkSubgraph(client, { variant: options.variant, subgraph: name, sdl: await sdlFrom(options, env), routingUrl: options.routingUrl });
        return { text: formatCheck(name, options.variant, check), json: check, exit: check.ok ? EXIT.OK : EXIT.REFUSED };
      });
    });

  withRegistryOptions(
    subgraph
      .command('list')
      .description("The subgraphs a registry variant serves now: each one's current version, routing URL, publisher and time."),
  )
    .addHelpText('after', examples(['zigong subgraph list', 'production'], ['zigong subgraph list --variant staging --json', 'staging, as JSON']) + registryHelp)
    .action(async (options: CommonOptions) => {
      await against(options, 'registry:read', async (client) => {
        const variant = await currentSubgraphs(client, options.variant);
        return {
          text: formatSubgraphs(options.variant, variant.subgraphs, variant.current),
          json: { variant: options.variant, composition: variant.current ? { id: variant.current.id, hash: variant.current.hash } : null, subgraphs: variant.subgraphs },
          exit: EXIT.OK,
        };
      });
    });

  withRegistryOptions(
    subgraph
      .command('delete')
      .description('Remove a subgraph from a registry variant: the others are composed without it and, when that is accepted, served. Asks first in a terminal; elsewhere it needs --yes.')
      .argument('<name>', 'the subgraph (department) name', subgraphName)
      .option('--yes', 'do not ask'),
  )
    .addHelpText('after', examples(['zigong subgraph delete housing --variant staging', 'asks, then deletes'], ['zigong subgraph delete housing --variant staging --yes', 'in a script']) + registryHelp)
    .action(async (name: string, options: CommonOptions & { yes?: boolean }, command: Command) => {
      if (!options.yes) {
        if (!process.stdin.isTTY) command.error(`error: deleting ${name} from ${options.variant} needs --yes when not run in a terminal.`, { exitCode: EXIT.USAGE });
        const ask = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await ask.question(`Delete ${name} from ${options.variant}? Gateways stop routing to it once the others compose without it. [y/N] `);
        ask.close();
        if (!/^y(es)?$/i.test(answer.trim())) {
          process.stderr.write('Not deleted.\n');
          process.exit(EXIT.USAGE);
        }
      }
      await against(options, `${name}:publish`, async (client) => {
        const composition = await deleteSubgraph(client, options.variant, name);
        return { text: formatComposition(`Deleted ${name} from ${options.variant}`, composition), json: composition, exit: EXIT.OK };
      });
    });

  const supergraph = program
    .command('supergraph')
    .summary('fetch | history | rollback: what the registry serves the gateways')
    .description("The supergraph a registry variant serves the gateways, its changelog and rollback.")
    .addHelpText('after', EXIT_CODES_HELP);

  withRegistryOptions(
    supergraph
      .command('fetch')
      .description("The supergraph SDL a variant serves the gateways now (GET /supergraph), to stdout or a file; --json prints its composition id and hash.")
      .option('--output <file>', 'write the SDL to this file'),
  )
    .addHelpText('after', examples(['zigong supergraph fetch > supergraph.graphql', "production's"], ['zigong supergraph fetch --variant staging --output s.graphql --json', 'to a file; id and hash as JSON']) + registryHelp)
    .action(async (options: CommonOptions & { output?: string }) => {
      await against(options, 'registry:read', async (client) => {
        const fetched = await client.supergraph(options.variant);
        if (options.output) {
          await writeFile(options.output, fetched.sdl).catch((error: NodeJS.ErrnoException) => {
            throw new RegistryError('USAGE', `--output ${options.output}: cannot write it (${error.code ?? error.message}).`);
          });
        }
        const summary = { variant: options.variant, compositionId: fetched.compositionId, hash: fetched.hash };
        return {
          text: options.output ? `Wrote ${options.variant}'s supergraph (composition ${fetched.compositionId}, sha256 ${fetched.hash.slice(0, 12)}) to ${options.output}.\n` : fetched.sdl,
          json: options.output ? { ...summary, output: options.output } : { ...summary, sdl: fetched.sdl },
          exit: EXIT.OK,
        };
      });
    });

  withRegistryOptions(
    supergraph
      .command('history')
      .description("A variant's changelog, newest first: each publish, delete and rollback, accepted or refused, with its API changes or its errors.")
      .option('--subgraph <name>', "only that subgraph's changes", subgraphName)
      .addOption(new Option('--first <n>', 'how many (1 to 1000)').default(20).argParser(count)),
  )
    .addHelpText('after', examples(['zigong supergraph history', "production's last 20 changes"], ['zigong supergraph history --subgraph tourism --first 5 --json', "tourism's last 5, as JSON"]) + registryHelp)
    .action(async (options: CommonOptions & { subgraph?: string; first: number }) => {
      await against(options, 'registry:read', async (client) => {
        const history = await compositionHistory(client, options.variant, options.subgraph, options.first);
        return { text: formatHistory(options.variant, history), json: history, exit: EXIT.OK };
      });
    });

  withRegistryOptions(
    supergraph
      .command('rollback')
      .description('Serve an earlier accepted composition of a variant again, as a new composition (needs registry:admin).')
      .requiredOption('--to <id>', 'the composition to serve again (see `zigong supergraph history`)', compositionId),
  )
    .addHelpText('after', examples(['zigong supergraph rollback --to 41', 'production serves composition 41 again'], ['zigong supergraph rollback --to 7 --variant staging --json', 'staging, as JSON']) + registryHelp)
    .action(async (options: CommonOptions & { to: string }) => {
      await against(options, 'registry:admin', async (client) => {
        const composition = await rollbackVariant(client, options.variant, options.to);
        return { text: formatComposition(`Rolled ${options.variant} back to composition ${options.to}`, composition), json: composition, exit: EXIT.OK };
      });
    });
}
