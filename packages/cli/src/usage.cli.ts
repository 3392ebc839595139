import { type Command, InvalidArgumentError, Option } from 'commander';
import { against, type CommonOptions, EXIT_CODES_HELP, examples, registryHelp, withRegistryOptions } from './registry.cli';
import { EXIT } from './registry-verbs';
import {
  CLIENT_NAME,
  COORDINATE,
  DURATION,
  deprecations,
  fieldUsage,
  formatDeprecations,
  formatFieldUsage,
  formatUsageRules,
  parseClientWindow,
  setUsageRules,
  type UsageRulesChange,
  usageRules,
} from './usage-verbs';

/**
 * The usage verbs' command line: `zigong usage field|rules` and `zigong deprecations`, what the
 * registry learned from the gateways' usage reports (who uses a coordinate, what is deprecated
 * and still used) and the rules that decide when that use refuses a breaking change. HTTP clients
 * of the registry, as the other registry verbs (registry.cli.ts): same options, same exit codes.
 */

function coordinate(text: string): string {
  if (!COORDINATE.test(text)) throw new InvalidArgumentError(`"${text}" is not a schema coordinate (Type, Type.field, Type.field.argument or Enum.VALUE, e.g. Village.name).`);
  return text;
}

function duration(text: string): string {
  if (!DURATION.test(text)) throw new InvalidArgumentError(`"${text}" is not a duration (a whole number of m, h or d, e.g. 30d, 12h).`);
  return text;
}

function clientWindow(text: string, previous: Array<{ client: string; window: string }> = []): Array<{ client: string; window: string }> {
  const parsed = parseClientWindow(text);
  if (!parsed) throw new InvalidArgumentError(`"${text}" is not <client>=<duration> (e.g. annual-report=400d).`);
  return [...previous.filter((w) => w.client !== parsed.client), parsed];
}

function clientName(text: string, previous: string[] = []): string[] {
  if (!CLIENT_NAME.test(text)) throw new InvalidArgumentError(`"${text}" is not a client name (as its apollographql-client-name header sends it: no spaces, no "=").`);
  return previous.includes(text) ? previous : [...previous, text];
}

function minCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000_000) throw new InvalidArgumentError('must be a whole number from 1 to 1000000000.');
  return n;
}

interface RulesOptions extends CommonOptions {
  window?: string;
  clientWindow?: Array<{ client: string; window: string }>;
  clearClientWindows?: boolean;
  exclude?: string[];
  clearExclusions?: boolean;
  minCount?: number;
}

/** The change `zigong usage rules` asks for; null when it only shows them. */
export function rulesChange(options: Omit<RulesOptions, keyof CommonOptions>): UsageRulesChange | null {
  const change: UsageRulesChange = {};
  if (options.window) change.window = options.window;
  if (options.clientWindow || options.clearClientWindows) change.clientWindows = options.clientWindow ?? [];
  if (options.exclude || options.clearExclusions) change.excludedClients = options.exclude ?? [];
  if (options.minCount !== undefined) change.minCount = options.minCount;
  return Object.keys(change).length ? change : null;
}

/** Adds `usage field`, `usage rules` and `deprecations` to the program. */
export function addUsageVerbs(program: Command): void {
  const usage = program
    .command('usage')
    .summary('field | rules: who uses a schema coordinate, and when that use refuses a breaking change')
    .description("What clients used, as the gateways report it to the registry (per hour, client name and version, operation), and the variant's rules for judging breaking changes by it.")
    .addHelpText('after', EXIT_CODES_HELP);

  withRegistryOptions(
    usage
      .command('field')
      .description('Who used a schema coordinate (a type, field, argument, input field or enum value) since a time: the total and the last use, each client version, each operation.')
      .argument('<coordinate>', 'Type, Type.field, Type.field.argument, Input.field or Enum.VALUE', coordinate)
      .addOption(new Option('--since <duration>', 'how far back (e.g. 7d, 12h, 400d)').default('30d').argParser(duration)),
  )
    .addHelpText(
      'after',
      examples(
        ['zigong usage field Village.name', 'in production, the last 30 days'],
        ['zigong usage field Village.generated --since 400d --json', 'a year and more, as JSON'],
        ['zigong usage field Query.villages.townId --variant staging', "an argument's use in staging"],
      ) + registryHelp,
    )
    .action(async (target: string, options: CommonOptions & { since: string }) => {
      await against(options, 'registry:read', async (client) => {
        const answer = await fieldUsage(client, options.variant, target, options.since);
        return { text: formatFieldUsage(options.variant, options.since, answer), json: { variant: options.variant, ...answer }, exit: EXIT.OK };
      });
    });

  withRegistryOptions(
    usage
      .command('rules')
      .description(
        "A variant's usage rules: the window within which a client's use of a coordinate refuses a breaking change to it (longer or shorter per client), the clients whose use never does, and the fewest requests that count as use. Without options it shows them; with any it sets those (registry:admin), the others kept.",
      )
      .option('--window <duration>', 'the window for every client without its own (e.g. 30d)', duration)
      .option('--client-window <client=duration>', "a client's own window; repeat for more (replaces the list)", clientWindow)
      .option('--clear-client-windows', 'no client has its own window')
      .option('--exclude <client>', 'a client whose use never refuses a change; repeat for more (replaces the list)', clientName)
      .option('--clear-exclusions', 'exclude no client')
      .option('--min-count <n>', 'fewer requests than this in the window count as unused', minCount),
  )
    .addHelpText(
      'after',
      examples(
        ['zigong usage rules', "production's rules"],
        ['zigong usage rules --window 30d --client-window annual-report=400d', 'the annual report counts for 400 days'],
        ['zigong usage rules --exclude load-test --min-count 5 --variant staging', 'ignore the load test; under 5 requests is unused'],
        ['zigong usage rules --clear-exclusions --json', 'every client counts again; the rules as JSON'],
      ) + registryHelp,
    )
    .action(async (options: RulesOptions, command: Command) => {
      if (options.clientWindow && options.clearClientWindows) command.error('error: give --client-window or --clear-client-windows, not both.', { exitCode: EXIT.USAGE });
      if (options.exclude && options.clearExclusions) command.error('error: give --exclude or --clear-exclusions, not both.', { exitCode: EXIT.USAGE });
      const change = rulesChange(options);
      await against(options, change ? 'registry:admin' : 'registry:read', async (client) => {
        const rules = change ? await setUsageRules(client, options.variant, change) : await usageRules(client, options.variant);
        return { text: formatUsageRules(rules, Boolean(change)), json: rules, exit: EXIT.OK };
      });
    });

  withRegistryOptions(
    program
      .command('deprecations')
      .summary("what is deprecated in a variant's API schema, and who still uses it")
      .description("Every deprecated field, argument, input field and enum value of a variant's API schema, with its reason and its use since a time: the total, and each client version still using it (\"unused\" when none).")
      .addOption(new Option('--since <duration>', 'how far back (e.g. 30d)').default('400d').argParser(duration)),
  )
    .addHelpText('after', examples(['zigong deprecations', 'production, the last 400 days'], ['zigong deprecations --since 30d --json', 'the last 30 days, as JSON']) + registryHelp)
    .action(async (options: CommonOptions & { since: string }) => {
      await against(options, 'registry:read', async (client) => {
        const list = await deprecations(client, options.variant, options.since);
        return { text: formatDeprecations(options.variant, options.since, list), json: { variant: options.variant, since: options.since, deprecations: list }, exit: EXIT.OK };
      });
    });
}
