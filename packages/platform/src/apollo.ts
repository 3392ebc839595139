import { ApolloServer, type ApolloServerOptions, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Server } from 'node:http';
import type { Logger } from './logger';
import { SCALAR_ERROR_CODES } from './scalars';
import { recordErrorCodes, tracingOn } from './tracing';

/**
 * Apollo Server with the settings every process of the platform shares: no stack traces to
 * clients, unexpected errors logged and masked, shutdown driven by us, not by Apollo.
 */
export function createApollo<C extends BaseContext>(
  options: ApolloServerOptions<C> & { httpServer: Server; logger: Logger; service?: string },
): ApolloServer<C> {
  const { httpServer, logger, service, plugins = [], ...rest } = options;
  // Apollo's own default: introspection unless NODE_ENV=production.
  const introspection = rest.introspection ?? process.env.NODE_ENV !== 'production';
  return new ApolloServer<C>({
    ...(rest as ApolloServerOptions<C>),
    // "Did you mean …?" names fields and types: with introspection off it would hand out the schema anyway.
    hideSchemaDetailsFromClientErrors: rest.hideSchemaDetailsFromClientErrors ?? !introspection,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    logger,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), ...(tracingOn() ? [errorCodesOnSpans] : []), ...plugins],
    formatError: platformErrorFormatter(logger, service),
  });
}

/** A traced request's error codes, on its span: what a trace search filters by. */
const errorCodesOnSpans: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors }) {
        recordErrorCodes(errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')));
      },
    };
  },
};

/**
 * How every process words an error for clients: stable codes for refusals graphql-js words
 * loosely, database failures named, anything unexpected logged and masked.
 */
export function platformErrorFormatter(logger: Logger, service?: string): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    // graphql-js stops lexing at parseOptions.maxTokens; give that refusal a code of its own.
    if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' && /contains more than \d+ tokens/.test(formatted.message)) {
      return { ...formatted, extensions: { ...formatted.extensions, code: 'TOO_MANY_TOKENS' } };
    }
    // Apollo files a scalar's refusal of an inline literal under GRAPHQL_VALIDATION_FAILED.
    if (formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && error instanceof GraphQLError) {
      const code = error.originalError instanceof GraphQLError ? error.originalError.extensions?.code : undefined;
      if (typeof code === 'string' && SCALAR_ERROR_CODES.has(code)) return { ...formatted, extensions: { ...formatted.extensions, code } };
    }
    const original = unwrapResolverError(error);
    if (original instanceof GraphQLError || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
    // A subgraph's error arrives at the gateway already masked by the subgraph: keep whose it is.
    if (formatted.extensions?.subgraph) return { message: formatted.message, path: formatted.path, extensions: formatted.extensions };
    const known = databaseError(original, service);
    if (known) return { ...known, path: formatted.path };
    logger.error({ err: original, path: formatted.path }, 'unexpected error while resolving');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** Postgres refuses NUL in text; the client sent it, so it is the client's error. */
const NUL_IN_TEXT = new Set(['22021', '22P05']);
/** The database went away or is restarting: the department is unavailable, not broken. */
const UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** How node-postgres and TypeORM say that the connection to the database went away. */
const CONNECTION_LOST =
  /ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|terminating connection|not queryable|shutting down|starting up|timeout exceeded when trying to connect|Client was closed|already released/i;

/** Database failures a client should see with a stable code instead of a masked internal error. */
function databaseError(error: unknown, service?: string): { message: string; extensions: Record<string, unknown> } | undefined {
  const failure = error as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = String(failure?.driverError?.code ?? failure?.code ?? '');
  const message = String(failure?.message ?? '');
  if (NUL_IN_TEXT.has(code)) {
    return { message: 'Text must not contain the NUL character (U+0000).', extensions: { code: 'BAD_USER_INPUT' } };
  }
  if (UNAVAILABLE.has(code) || CONNECTION_LOST.test(code) || CONNECTION_LOST.test(message)) {
    const who = service ? `the ${service} department` : 'this department';
    return { message: `The database of ${who} is unavailable; try again shortly.`, extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: service } };
  }
  return undefined;
}
