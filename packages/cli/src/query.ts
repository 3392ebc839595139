import { main } from './query.cli';

/**
 * The entry of `npm run query` (`node packages/cli/dist/query.js <file.graphql> [options]`). The
 * command is in query.cli.ts (arguments, exit codes), query.client.ts (HTTP to the gateway),
 * query.flatten.ts (result → rows) and query.format.ts (json, csv, table).
 */
if (require.main === module) main();
