import { ApolloGateway, type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { createApollo, createLogger, createServer, encodeIdentity, graphqlHttpHandler, IDENTITY_HEADER, type Identity, listen, sendJson } from '@zigong/kit';
import { GraphQLError } from 'graphql';
import { createAuthenticator } from './auth';
import { existsSync, readFileSync } from 'node:fs';
import type { GatewayConfig } from './config';

export interface GatewayContext {
  identity: Identity | null;
}

/** Passes the verified caller on, so each subgraph enforces its own write permissions. */
class DepartmentDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (context?.identity) request.http?.headers.set(IDENTITY_HEADER, encodeIdentity(context.identity));
  }
}

export interface RunningGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The gateway: @apollo/gateway inside Apollo Server, on the supergraph composed at build time
 * (never introspection at start-up), served by the kit's HTTP plumbing.
 */
export async function startGateway(config: GatewayConfig, supergraphSdl = readSupergraph(config.supergraphPath)): Promise<RunningGateway> {
  const logger = createLogger('gateway', config.logLevel);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => new DepartmentDataSource({ url: config.subgraphUrls[name] ?? url }),
    logger,
  });

  const httpServer = createServer();
  const authenticate = createAuthenticator(config.auth);
  const apollo = createApollo<GatewayContext>({ gateway, httpServer, logger });
  await apollo.start();
  httpServer.on(
    'request',
    graphqlHttpHandler({
      apollo,
      bodyLimitBytes: config.bodyLimitBytes,
      context: async (req) => {
        const identity = await authenticate(req.headers.authorization);
        if (!identity && !config.auth.allowAnonymousReads) {
          throw new GraphQLError('Sign in: this gateway needs a bearer token for every request.', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          });
        }
        return { identity };
      },
      onError: (error) => logger.error({ err: error }, 'request failed'),
      routes: {
        '/health': (_req, res) => sendJson(res, 200, { status: 'ok', service: 'gateway' }),
      },
    }),
  );
  const port = await listen(httpServer, config.port, config.host, 'gateway').catch(async (error) => {
    await apollo.stop();
    throw error;
  });
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}/graphql`;
  logger.info({ url }, 'gateway ready');

  let stopping: Promise<void> | undefined;
  return { url, port, stop: () => (stopping ??= apollo.stop()) };
}

function readSupergraph(path: string): string {
  if (!existsSync(path)) throw new Error(`No supergraph at ${path}: run \`npm run compose\` first.`);
  return readFileSync(path, 'utf8');
}
