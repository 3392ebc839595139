import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { withoutAuthorizationPurpose } from '@zigong/gateway/dist/authorization';
import { IDENTITY_HEADER, signatureFor } from '@zigong/kit';
import { readFileSync } from 'node:fs';

/**
 * Stock @apollo/gateway in @apollo/server with default settings, for comparison: the same
 * supergraph and subgraphs. It adds only what the subgraphs demand of any gateway: the caller's
 * identity header passed on, and the request signature, on its own default HTTP client.
 */
class SignedDataSource extends RemoteGraphQLDataSource {
  constructor(url: string, secret: string | undefined) {
    super({ url });
    const fetcher = this.fetcher;
    if (secret) {
      this.fetcher = ((input: string, init: { method?: string; body: string; headers: Record<string, string> }) =>
        fetcher(input, { ...init, headers: { ...init.headers, ...signatureFor(secret, input, init) } })) as typeof fetcher;
    }
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions): void {
    const identity = 'incomingRequestContext' in options ? options.incomingRequestContext.request.http?.headers.get(IDENTITY_HEADER) : undefined;
    if (identity) options.request.http?.headers.set(IDENTITY_HEADER, identity);
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Apollo's own logger interface at the bench's LOG_LEVEL, as every contender runs (default info, like Apollo's). */
function logger() {
  const level = Math.max(0, LEVELS.indexOf(process.env.LOG_LEVEL ?? 'info'));
  const at = (name: string, write: (...args: unknown[]) => void) => (LEVELS.indexOf(name) >= level ? write : () => undefined);
  return { debug: at('debug', console.debug), info: at('info', console.info), warn: at('warn', console.warn), error: at('error', console.error) };
}

async function main() {
  const gateway = new ApolloGateway({
    logger: logger(),
    // @apollo/gateway refuses a supergraph linking the authorization specs `for: SECURITY` (it
    // implements none of them); without the purpose it ignores them, and enforces nothing. Only the
    // input text changes: Apollo itself runs unpatched.
    supergraphSdl: withoutAuthorizationPurpose(readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8')),
    buildService: ({ name, url }) => new SignedDataSource(process.env[`SUBGRAPH_${name.toUpperCase()}_URL`] ?? url!, process.env.GATEWAY_SIGNING_SECRET),
  });
  const server = new ApolloServer({ gateway, logger: logger() });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
  logger().info(`stock gateway at ${url}`);
}

void main();
