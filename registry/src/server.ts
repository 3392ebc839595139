import { acceptsHtml, createApollo, databaseReady, createAuthenticator, createLogger, createServer, graphqlHttpHandler, listen, loadSavedOperations, type Route, sendError, sendJson } from '@zigong/platform';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { RegistryConfig } from './config';
import { appsResolvers } from './apps.resolver';
import { appsRoute } from './apps.route';
import { AppsService } from './apps.service';
import { createRegistryDataSource, ensureVariants, migrate } from './database';
import { createRegistryMetrics } from './metrics';
import { type RegistryContext, registryResolvers } from './registry.resolver';
import { RegistryService } from './registry.service';
import { supergraphRoute } from './supergraph.route';
import { UsageStore } from './usage';
import { usageRoute } from './usage.route';

/** How often usage past its retention is deleted (and once at start). */
const USAGE_SWEEP_MS = 3_600_000;

/** The API contract, served as written: the file beside this module (the build copies it into dist). */
export const REGISTRY_SCHEMA_PATH = join(__dirname, 'registry.graphql');

export interface RunningRegistry {
  /** The GraphQL endpoint. */
  url: string;
  port: number;
  metricsUrl: string;
  service: RegistryService;
  usage: UsageStore;
  db: DataSource;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /**
   * Pages served beside /graphql (main.ts mounts the explorer's registry pages), so the registry's
   * own code loads no UI; `/` answers its page to a browser only, JSON clients get a 404 naming /graphql.
   */
  pages?: Record<string, Route>;
}

/**
 * The registry process: its database (migrated at start in local mode; in production by
 * `migrateRegistry`, before the replicas start), the configured variants ensured, the GraphQL API
 * at /graphql, GET /supergraph and POST /usage for gateways, /health, /ready and /metrics; usage
 * past REGISTRY_USAGE_RETENTION is deleted at start and every hour.
 */
export async function startRegistry(config: RegistryConfig, options: RegistryOptions = {}): Promise<RunningRegistry> {
  const { pages = {} } = options;
  const logger = createLogger('registry', config.logLevel);
  const metrics = createRegistryMetrics();
  const contractSdl = readStartFile(config.contractPath, 'CONTRACT_PATH');
  const operations = loadSavedOperations(config.operationsDir).map(({ name, text }) => ({ name, file: `${name}.graphql`, text }));
  const typeDefs = readFileSync(REGISTRY_SCHEMA_PATH, 'utf8');

  const db = createRegistryDataSource(config.databaseUrl, { poolSize: config.poolSize });
  await db.initialize();
  const authenticate = createAuthenticator(config.tokens, { logger });
  const httpServer = createServer();
  let metricsServer: Server | undefined;
  const release = async () => {
    authenticate.close();
    if (metricsServer) await new Promise((done) => metricsServer!.close(done));
    if (db.isInitialized) await db.destroy();
  };
  try {
    if (config.mode === 'local') {
      const applied = await migrate(db);
      if (applied.length) logger.info({ applied }, 'registry migrations applied');
    } else if (await db.showMigrations()) {
      throw new Error('The registry database has migrations pending: run `zigong migrate registry` (migrateRegistry) before starting the registry in production.');
    }
    await ensureVariants(db, config.variants, config.contractVariants);
  } catch (error) {
    await release();
    throw error;
  }

  const usage = new UsageStore(db, { retentionSeconds: config.usageRetentionSeconds });
  // App manifests (#28): their own service; the judgement of a change asks it for app breaks.
  const apps = new AppsService(db, { variants: config.variants, maxManifestBytes: config.maxSdlBytes });
  const service = new RegistryService(db, {
    variants: config.variants,
    contractVariants: config.contractVariants,
    contractSdl,
    operations,
    maxSdlBytes: config.maxSdlBytes,
    observer: metrics.observer,
    usage,
    apps: (judged) => apps.judge(judged),
  });
  await service.reportCurrent();
  const sweepUsage = () =>
    usage.sweep().then(
      (deleted) => {
        if (!deleted) return;
        metrics.usageDeleted.inc({ table: 'hour' }, deleted.hours);
        metrics.usageDeleted.inc({ table: 'operation' }, deleted.operations);
        if (deleted.hours || deleted.operations) logger.info(deleted, 'usage past its retention deleted');
      },
      (error) => logger.error({ err: error }, 'deleting usage past its retention failed'),
    );
  let sweeping: Promise<void> | undefined = sweepUsage();
  const sweeper = setInterval(() => void (sweeping = sweepUsage()), USAGE_SWEEP_MS);
  sweeper.unref();

  const apollo = createApollo<RegistryContext>({
    typeDefs,
    resolvers: [registryResolvers(service, { allowAnonymousReads: config.allowAnonymousReads }), appsResolvers(apps, { allowAnonymousReads: config.allowAnonymousReads })],
    httpServer,
    logger,
    // The schema is public (registry/src/registry.graphql); tools and the explorer's pages read it.
    introspection: true,
  });
  await apollo.start();

  const serveMetrics = async (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(await metrics.registry.metrics());
  };
  httpServer.on(
    'request',
    graphqlHttpHandler<RegistryContext>({
      apollo,
      bodyLimitBytes: config.bodyLimitBytes,
      context: async (req) => ({ identity: await authenticate(req.headers.authorization) }),
      onError: (error) => logger.error({ err: error }, 'request failed'),
      onResponse: (record) => {
        metrics.requests.inc({ status: String(record.status) });
        logger.info(record, 'request');
      },
      routes: {
        ...pages,
        '/': (req, res) => (pages['/'] && acceptsHtml(req) ? pages['/'](req, res) : sendError(res, 404, 'NOT_FOUND', 'GraphQL is at /graphql.')),
        '/supergraph': supergraphRoute({
          service,
          keys: config.supergraphKeys,
          open: config.mode === 'local' && config.supergraphKeys.length === 0,
          authenticate,
          onAnswer: (status) => metrics.supergraphRequests.inc({ status: String(status) }),
        }),
        '/usage': usageRoute({
          usage,
          variants: config.variants,
          keys: config.supergraphKeys,
          open: config.mode === 'local' && config.supergraphKeys.length === 0,
          authenticate,
          maxBytes: config.maxUsageBytes,
          onReport: (outcome, rows) => {
            metrics.usageReports.inc({ outcome });
            if (rows) metrics.usageRows.inc(rows);
          },
          onError: (error) => logger.error({ err: error }, 'usage report failed'),
        }),
        '/apps': appsRoute({
          apps,
          keys: config.supergraphKeys,
          open: config.mode === 'local' && config.supergraphKeys.length === 0,
          authenticate,
          onAnswer: (status) => metrics.appsRequests.inc({ status: String(status) }),
        }),
        '/health': (_req, res) => sendJson(res, 200, { status: 'ok', service: 'registry' }),
        '/ready': async (_req, res) => {
          const database = await databaseReady(db);
          if (!database.ready) return sendJson(res, 503, { status: 'not ready', reason: database.reason });
          if (!authenticate.ready()) return sendJson(res, 503, { status: 'not ready', reason: 'the JWKS_URL key set has not been fetched yet' });
          sendJson(res, 200, { status: 'ready', variants: config.variants });
        },
        ...(config.publicMetrics ? { '/metrics': serveMetrics } : {}),
      },
    }),
  );

  const stopAll = async () => {
    clearInterval(sweeper);
    await sweeping;
    await apollo.stop();
    await release();
  };
  const failed = async (error: unknown): Promise<never> => {
    await stopAll();
    throw error;
  };
  const port = await listen(httpServer, config.port, config.host, 'registry').catch(failed);
  const local = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  let metricsUrl = `http://${local}:${port}/metrics`;
  if (config.metricsPort !== undefined) {
    metricsServer = createHttpServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://x').pathname === '/metrics') void serveMetrics(req, res);
      else sendError(res, 404, 'NOT_FOUND', 'Only /metrics is served on this port.');
    });
    const servedOn = await listen(metricsServer, config.metricsPort, config.host, 'registry metrics').catch(failed);
    metricsUrl = `http://${local}:${servedOn}/metrics`;
  }
  const url = `http://${local}:${port}/graphql`;
  logger.info({ url, mode: config.mode, variants: config.variants }, 'registry ready');
  let stopping: Promise<void> | undefined;
  return { url, port, metricsUrl, service, usage, db, stop: () => (stopping ??= stopAll()) };
}

function readStartFile(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${variable}: cannot read ${path}: ${(error as Error).message}`);
  }
}
