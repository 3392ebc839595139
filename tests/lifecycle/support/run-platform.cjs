// Runs a repository copy's platform like `npm start` (packages/cli/src/start.ts), but on a given
// database and on free ports, so it can run beside anything else: argv is <root> <databaseUrl>.
// Reports { gateway, subgraphs } over IPC when everything answers; SIGTERM, or the parent going
// away, stops every service.
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');

const [root, databaseUrl] = process.argv.slice(2);
const local = require(join(root, 'packages', 'cli', 'dist', 'index.js'));

let services = [];
let stopping;
const stop = (code) => (stopping ??= local.stopServices(services).finally(() => process.exit(code)));
process.on('SIGTERM', () => stop(0));
process.on('disconnect', () => stop(0));

(async () => {
  const registry = local.readRegistry();
  await local.prepareDatabase(databaseUrl, registry);
  const moved = [];
  for (const entry of registry) moved.push({ ...entry, routingUrl: `http://127.0.0.1:${await local.freePort()}/graphql` });
  // The gateway routes by the supergraph's routing URLs unless told otherwise.
  const env = { LOG_LEVEL: 'warn' };
  for (const entry of moved) env[`SUBGRAPH_${entry.name.toUpperCase()}_URL`] = entry.routingUrl;
  const { gateway, subgraphs } = await local.launchServices({
    registry: moved,
    databaseUrl,
    gatewayPort: await local.freePort(),
    signingSecret: randomBytes(32).toString('hex'),
    env,
    output: (line) => process.stderr.write(line + '\n'),
  });
  services = [gateway, ...subgraphs];
  process.send({ gateway: gateway.url, subgraphs: Object.fromEntries(subgraphs.map((s) => [s.name, s.url])) });
})().catch((error) => {
  console.error(error);
  stop(1);
});
