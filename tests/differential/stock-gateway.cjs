'use strict';
/**
 * The reference: unpatched @apollo/gateway inside Apollo Server, configured as Apollo's docs do
 * (ApolloGateway({ supergraphSdl }) with its default RemoteGraphQLDataSource, the subgraph URLs
 * the supergraph's routing URLs, startStandaloneServer). Its own process, because our gateway
 * replaces a function inside @apollo/gateway's module (result shaping): nothing of the repository
 * is loaded here, only the stock packages from node_modules.
 *
 * Reads one line of JSON from stdin, `[{ "name": ..., "supergraphSdl": ... }]`, starts one gateway
 * per entry on a free loopback port, and writes one line of JSON to stdout: `{ "urls": { name: url } }`.
 * Stops when stdin closes or on SIGTERM.
 */
const { ApolloGateway } = require('@apollo/gateway');
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');

const servers = [];
let stopping;

function stop() {
  stopping ??= Promise.allSettled(servers.map((server) => server.stop())).then(() => process.exit(0));
  return stopping;
}

async function start(fixtures) {
  const urls = {};
  for (const { name, supergraphSdl } of fixtures) {
    const gateway = new ApolloGateway({ supergraphSdl });
    const server = new ApolloServer({ gateway });
    servers.push(server);
    const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
    urls[name] = url;
  }
  process.stdout.write(`${JSON.stringify({ urls })}\n`);
}

let input = '';
let started = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (started) return;
  input += chunk;
  const newline = input.indexOf('\n');
  if (newline < 0) return;
  started = true;
  start(JSON.parse(input.slice(0, newline))).catch((error) => {
    process.stderr.write(`stock gateway failed to start: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
});
process.stdin.on('end', stop);
process.on('SIGTERM', stop);
