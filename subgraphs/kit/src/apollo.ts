import { ApolloServer, type ApolloServerOptions, type BaseContext } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError } from 'graphql';
import type { Server } from 'node:http';
import type { Logger } from './logger';
import { SCALAR_ERROR_CODES } from './scalars';

/**
 * Apollo Server with the settings every process of the platform shares: no stack traces to
 * clients, unexpected errors logged and masked, shutdown driven by us, not by Apollo.
 */
export function createApollo<C extends BaseContext>(
  options: ApolloServerOptions<C> & { httpServer: Server; logger: Logger },
): ApolloServer<C> {
  const { httpServer, logger, plugins = [], ...rest } = options;
  return new ApolloServer<C>({
    ...(rest as ApolloServerOptions<C>),
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    logger,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), ...plugins],
    formatError: (formatted, error) => {
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
      logger.error({ err: original, path: formatted.path }, 'unexpected error while resolving');
      return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    },
  });
}
