import { type Command, InvalidArgumentError, Option } from 'commander';
import { type AppVersionStatus, formatApps, formatMoved, formatPublished, listApps, manifestFromFile, moveApp, publishApp } from './app-verbs';
import { against, type CommonOptions, EXIT_CODES_HELP, examples, registryHelp, withRegistryOptions } from './registry.cli';
import { EXIT } from './registry-verbs';

/**
 * `zigong app publish|activate|retire|list`: a front-end's releases in the schema registry (#28),
 * each one's persisted operations (its manifest) published PENDING, activated when it ships (gateways
 * with TRUSTED_DOCUMENTS=enforce then accept them from that app), and retired when no client runs
 * it any more. The registry verbs' options, token and exit codes (registry.cli.ts); the scope minted
 * locally is apps:publish.
 */
const APPS_SCOPE = 'apps:publish';

// The registry's rules (registry/src/apps.service.ts), checked here too so a typo is exit 2 before anything is sent.
function appName(name: string): string {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new InvalidArgumentError(`"${name}" is not an app name (lower-case letters, digits and -, a letter first, e.g. dashboard).`);
  return name;
}

function appVersion(version: string): string {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/.test(version)) throw new InvalidArgumentError(`"${version}" is not an app version (e.g. 3.2.0).`);
  return version;
}

const MANIFEST_HELP = `

Manifests:
  @apollo/generate-persisted-query-manifest's persisted-query-manifest.json
    {"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id","name","type","body"}]}
  GraphQL Code Generator's client preset (persistedDocuments: true) persisted-documents.json
    {"<sha256 of the document>": "<document>"}
  Every id must be the sha256 of its body (both tools' default), and every operation must validate
  against the variant's API; otherwise the registry refuses it all (exit 1) and names each one.`;

type VersionOptions = CommonOptions & { name: string; version: string };

function withVersionOptions(command: Command): Command {
  return withRegistryOptions(command.requiredOption('--name <app>', 'the app (the client name it sends as apollographql-client-name)', appName).requiredOption('--version <version>', 'the release, e.g. 3.2.0', appVersion));
}

/** Adds the `app` group to `program`. */
export function addAppVerbs(program: Command): void {
  const app = program
    .command('app')
    .summary('publish | activate | retire | list: a front-end\'s persisted operations in the schema registry')
    .description(
      "A front-end's releases in the schema registry: each one's persisted operations (its manifest), validated against the variant's API. Gateways with TRUSTED_DOCUMENTS=enforce accept from a client only its app's ACTIVE operations (by hash), and the registry refuses a schema change that would break one (APP_BROKEN).",
    )
    .addHelpText('after', EXIT_CODES_HELP);

  withVersionOptions(
    app
      .command('publish')
      .description('Publish a release\'s manifest: stored PENDING once every operation validates against the variant\'s API; the same release again with the same operations does nothing. --activate activates it at once.')
      .argument('<manifest>', 'the manifest file (JSON)')
      .option('--activate', 'activate it once published'),
  )
    .addHelpText(
      'after',
      examples(
        ['zigong app publish --name dashboard --version 3.2.0 persisted-query-manifest.json', 'PENDING until activated'],
        ['zigong app publish --name dashboard --version 3.2.0 persisted-documents.json --activate --json', "a front-end's CI, on release"],
      ) + MANIFEST_HELP + registryHelp,
    )
    .action(async (file: string, options: VersionOptions & { activate?: boolean }) => {
      await against(options, APPS_SCOPE, async (client) => {
        const manifest = await manifestFromFile(file);
        let version = await publishApp(client, { variant: options.variant, app: options.name, version: options.version, manifest });
        if (options.activate) version = await moveApp(client, 'activate', options.variant, options.name, options.version);
        return { text: formatPublished(version, !!options.activate), json: version, exit: EXIT.OK };
      });
    });

  for (const [verb, description, example] of [
    ['activate', "PENDING to ACTIVE: gateways enforcing trusted documents accept its operations from that app at their next poll. Its operations are validated again against the API served now; activating an active one does nothing.", 'when the release ships'],
    ['retire', 'To RETIRED, for good: gateways stop accepting its operations at their next poll, and schema changes no longer have to keep them. Retiring a retired one does nothing.', 'once no client runs it'],
  ] as const) {
    withVersionOptions(app.command(verb).description(description))
      .addHelpText('after', examples([`zigong app ${verb} --name dashboard --version 3.2.0`, example]) + registryHelp)
      .action(async (options: VersionOptions) => {
        await against(options, APPS_SCOPE, async (client) => {
          const version = await moveApp(client, verb, options.variant, options.name, options.version);
          return { text: formatMoved(version), json: version, exit: EXIT.OK };
        });
      });
  }

  withRegistryOptions(
    app
      .command('list')
      .description("A variant's app versions, newest first: status, operations, publisher and when each was published, activated and retired.")
      .addOption(new Option('--status <status>', 'only those').choices(['pending', 'active', 'retired'])),
  )
    .addHelpText('after', examples(['zigong app list', "production's"], ['zigong app list --status active --json', 'what gateways accept, as JSON']) + registryHelp)
    .action(async (options: CommonOptions & { status?: string }) => {
      await against(options, 'registry:read', async (client) => {
        const status = options.status?.toUpperCase() as AppVersionStatus | undefined;
        const versions = await listApps(client, options.variant, status);
        return { text: formatApps(options.variant, versions, status), json: versions, exit: EXIT.OK };
      });
    });
}
