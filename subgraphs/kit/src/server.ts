import 'reflect-metadata';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { IncomingMessage } from 'node:http';
import type { DataSource } from 'typeorm';
import type { SubgraphConfig } from './config';
import { createDataSource, type DataSourceOptions } from './database';
import type { AnyDepartment, DepartmentContext } from './department';
import { buildDepartmentSchema } from './federation';
import { createServer, databaseReady, graphqlHttpHandler, listen, sendJson } from '@zigong/platform';
import { createApollo, platformErrorFormatter } from '@zigong/platform';
import { compiledQueryResponder } from './compiled-queries';
import { createSubgraphMetrics } from './metrics';
import { identityFrom } from '@zigong/platform';
import { MemoryNonceStore, type NonceStore, signatureGuard } from '@zigong/platform';
import { redisNonceStore, type SharedNonceStore } from './replay-redis';
import { createLogger, type Logger } from '@zigong/platform';

/** What Apollo's cache-control plugin answered on every subgraph response; the gateway reads it. */
const UNCACHEABLE = { 'cache-control': 'no-store' } as const;

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  db: DataSource;
  logger: Logger;
  /** What the compiled-query path holds and has answered; zeros when it is off. */
  compiledQueries(): { compiled: number; answered: number };
  /** Where signature nonces are remembered, and how many requests were checked locally because Redis was down. */
  replayCache(): { store: 'redis' | 'memory' | 'none'; fallbacks: number };
  /** Stops taking requests, finishes those in flight, closes the pool. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts one department as a subgraph server. Does not migrate: that is a deploy step. */
export async function startSubgraph(
  department: AnyDepartment,
  config: SubgraphConfig,
  dbOptions: DataSourceOptions = {},
): Promise<RunningSubgraph> {
  const logger = createLogger(department.name, config.logLevel);
  const db = createDataSource(department, config.databaseUrl, { poolSize: config.poolSize, ...dbOptions });
  await db.initialize();
  const { schema } = await buildDepartmentSchema(department);

  const shared: SharedNonceStore | undefined =
    config.signingSecret && config.redisUrl ? redisNonceStore({ url: config.redisUrl, logger }) : undefined;
  const nonces: NonceStore | undefined = config.signingSecret ? (shared ?? new MemoryNonceStore()) : undefined;

  const httpServer = createServer();
  // Inline traces are for Apollo's hosted studio, which this platform does not report to.
  // Cache control is off: no type carries @cacheControl, so all its per-field hook (for which
  // Apollo wraps every resolver of the schema) ever concluded was `no-store`, at a third of the
  // subgraph's CPU for a page of 100 villages. The header is still sent, below.
  const plugins = [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()];
  const apollo = createApollo<DepartmentContext>({ schema, httpServer, logger, service: department.name, plugins });
  await apollo.start();
  // Without a shared secret nothing proves a forwarded identity came from the gateway.
  const context = async (req: IncomingMessage, requestId: string): Promise<DepartmentContext> => ({
    db,
    requestId,
    identity: config.signingSecret ? identityFrom(req) : null,
    loaders: department.createLoaders(db),
  });
  const metrics = createSubgraphMetrics(department.name);
  const compiled =
    config.compiledQueries === false
      ? undefined
      : compiledQueryResponder({ schema, context, formatError: platformErrorFormatter(logger, department.name), count: metrics.compiled });

  httpServer.on(
    'request',
    graphqlHttpHandler<DepartmentContext>({
      apollo,
      bodyLimitBytes: config.bodyLimitBytes,
      headers: () => UNCACHEABLE,
      context,
      respond: compiled?.respond,
      guard: config.signingSecret && nonces ? signatureGuard(config.signingSecret, nonces) : undefined,
      onError: (error) => logger.error({ err: error }, 'request failed'),
      onResponse: (record) => {
        metrics.request(record.status);
        logger.info(record, 'request');
      },
      routes: {
        '/health': (_req, res) => sendJson(res, 200, { status: 'ok', service: department.name }),
        // Counts only; a subgraph listens where only the gateway (and Prometheus) can reach it.
        '/metrics': async (_req, res) => {
          const text = await metrics.text();
          res.writeHead(200, { 'content-type': metrics.contentType }).end(text);
        },
        '/ready': async (_req, res) => {
          const state = await databaseReady(db);
          sendJson(res, state.ready ? 200 : 503, { status: state.ready ? 'ready' : 'not ready', reason: state.reason });
        },
      },
    }),
  );

  let port: number;
  try {
    port = await listen(httpServer, config.port, config.host, `subgraph ${department.name}`);
  } catch (error) {
    await apollo.stop();
    await db.destroy();
    await shared?.close();
    throw error;
  }
  const url = `http://${config.host}:${port}/graphql`;
  logger.info({ url }, 'subgraph ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await apollo.stop();
      if (db.isInitialized) await db.destroy();
      await shared?.close();
      logger.info('subgraph stopped');
    })());
  const compiledQueries = () => compiled?.stats() ?? { compiled: 0, answered: 0 };
  const replayCache = () => ({ store: shared ? ('redis' as const) : nonces ? ('memory' as const) : ('none' as const), fallbacks: shared?.fallbacks() ?? 0 });
  return { name: department.name, url, port, db, logger, compiledQueries, replayCache, stop };
}
