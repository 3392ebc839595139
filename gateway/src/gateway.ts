import { ApolloGateway } from '@apollo/gateway';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import {
  acceptsHtml,
  createApollo,
  createLogger,
  createServer,
  graphqlHttpHandler,
  type Identity,
  installKitScalars,
  type RequestRecord,
  listen,
  loadSavedOperations,
  type Route,
  sendError,
  sendJson,
} from '@zigong/platform';
import { GraphQLError } from 'graphql';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createAuthenticator } from '@zigong/platform';
import type { GatewayConfig } from './config';
import { DepartmentDataSource, type GatewayContext } from './datasource';
import { costModelOf, demandControlPlugin, EMPTY_COST_MODEL, shapeGuard } from './demand-control';
import { apolloReadable } from './authorization';
import { authorizationGuard } from './authorization-guard';
import { deferRoute, type GatewaySchemas } from './defer-route';
import { directRoute } from './direct-route';
import { queryParser } from './documents';
import { responseCache } from './response-cache';
import { resultShapingSupport, shapeResultsOf } from './result-shaping';
import { clientLabels, createMetrics, operationLabels } from './metrics';
import { RedisCache, trustedDocuments, trustedDocumentsGuard, withRegisteredOperations } from './persisted-queries';
import { memoryRateStore, rateLimiter, redisRateStore } from './rate-limit';
import { supergraphHash, supergraphSource } from './supergraph-source';
import { clientOf, type Ran, type RanShortcut, UNKNOWN_CLIENT, usageReporter } from './usage';
import { enforcedDocumentsGuard, trustedApps } from './trusted-apps';

export type { GatewayContext };

/** Ways for tests to break a shortcut on purpose, and prove the differential tests notice. */
export interface GatewayTestHooks {
  /** 'single-fetch' takes the direct route for every single-fetch plan, proof or not: the old, wrong rule. */
  directRouteRule?: 'proven' | 'single-fetch';
  /** Replaces the key under which identical in-flight reads share a subgraph request. */
  dedupeKey?: (body: string, headers: Record<string, string>) => string;
}

/**
 * What the process that starts the gateway adds to it: pages served beside /graphql (main.ts
 * mounts the analysts' explorer at `/` and the dashboard at `/dashboard`; the gateway itself
 * loads no UI), and the test hooks.
 */
export interface GatewayOptions extends GatewayTestHooks {
  /** Routes by path. `/` is served to browsers only (Accept: text/html); API clients get a 404 pointing at /graphql. */
  pages?: Record<string, Route>;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** The metrics endpoint's URL, on its own port where METRICS_PORT is set. */
  metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * The gateway: @apollo/gateway inside Apollo Server, on the supergraph composed at build time
 * (never introspection at start-up), served by the kit's HTTP plumbing.
 */
export async function startGateway(config: GatewayConfig, supergraphSdl?: string, options: GatewayOptions = {}): Promise<RunningGateway> {
  const { pages = {}, ...hooks } = options;
  const logger = createLogger('gateway', config.logLevel);
  const metrics = createMetrics({ polling: !supergraphSdl && config.supergraphUrl !== undefined });
  const shaping = resultShapingSupport();
  if (config.resultShaping && !shaping.supported) {
    logger.warn(
      { installed: shaping.version, expected: shaping.expected },
      `@apollo/gateway ${shaping.version} is not ${shaping.expected}, the version result-shaping.ts was written for: Apollo's own result shaping runs (RESULT_SHAPING=false says that is intended)`,
    );
  }
  metrics.resultShaping.set(config.resultShaping && shaping.supported ? 1 : 0);
  const dataSources: DepartmentDataSource[] = [];
  // The newest data source of each subgraph (a reload that moves a subgraph makes a new one).
  const bySubgraph = new Map<string, DepartmentDataSource>();
  // A fixed supergraph (tests) is served as given; otherwise the file or URL is watched.
  const source = supergraphSdl
    ? { manager: undefined, current: () => supergraphHash(supergraphSdl), composition: () => undefined, loaded: () => undefined }
    : supergraphSource({
        path: config.supergraphPath,
        url: config.supergraphUrl,
        key: config.supergraphKey,
        pollMs: config.supergraphPollMs,
        timeoutMs: config.supergraphPollTimeoutMs,
        startupTimeoutMs: config.supergraphStartupTimeoutMs,
        cachePath: config.supergraphCachePath,
        logger,
        metrics,
      });
  if (supergraphSdl) metrics.supergraphInfo.set({ composition: '', hash: source.current() }, 1);
  // @apollo/gateway otherwise probes cloud metadata endpoints at start and reports usage to
  // Apollo's servers every hour: nothing of this platform leaves it unless an operator says so.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const readable = apolloReadable();
  const gateway = new ApolloGateway({
    supergraphSdl: source.manager ? readable.manager(source.manager) : readable.sdl(supergraphSdl!),
    buildService: ({ name, url }) => {
      const dataSource = new DepartmentDataSource({
        name,
        url: config.subgraphUrls[name] ?? url!,
        timeoutMs: config.subgraphTimeoutMs,
        signingSecret: config.signingSecret,
        metrics,
        dedupe: config.dedupe,
        dedupeKey: hooks.dedupeKey,
      });
      dataSources.push(dataSource);
      bySubgraph.set(name, dataSource);
      return dataSource;
    },
    logger,
  });

  const parseQuery = queryParser(config.limits.maxTokens);
  const authenticate = createAuthenticator(config.auth, { logger, jwksFetchFailures: metrics.jwksFetchFailures });
  // One verification per request, whichever route (direct or Apollo) asks first.
  const identities = new WeakMap<IncomingMessage, Promise<Identity | null>>();
  const identityOf = (req: IncomingMessage) => {
    let identity = identities.get(req);
    if (!identity) identities.set(req, (identity = authenticate(req.headers.authorization)));
    return identity;
  };
  const savedOperations = loadSavedOperations(config.operationsDir);
  const labels = operationLabels(savedOperations.map((operation) => operation.name), config.metricsOperationNames);
  const clients = clientLabels([UNKNOWN_CLIENT], config.metricsClientNames);
  const usage = config.usage && usageReporter({ config: config.usage, metrics, logger, parseQuery });
  // What a shortcut (the response cache, the direct route) ran, for the request's usage.
  const shortcutsRan = new WeakMap<IncomingMessage, Ran>();
  const direct = directRoute({
    parseQuery,
    limits: config.limits,
    client: (name) => bySubgraph.get(name)?.client,
    identity: identityOf,
    allowAnonymousReads: config.auth.allowAnonymousReads,
    metrics,
    onErrors: (name, errors) => {
      for (const error of errors) metrics.errors.inc({ operation: labels.known(name), code: String(error.extensions.code) });
    },
    rule: hooks.directRouteRule,
  });

  // Operations with @defer, which Apollo's route cannot run: planned with defer on, streamed in parts.
  const deferred = deferRoute({
    parseQuery,
    limits: config.limits,
    dataSources: () => Object.fromEntries(bySubgraph),
    identity: identityOf,
    allowAnonymousReads: config.auth.allowAnonymousReads,
    logger,
    onErrors: (name, errors) => {
      for (const error of errors) metrics.errors.inc({ operation: labels.known(name), code: String(error.extensions?.code) });
    },
  });

  const trusted = trustedDocuments(savedOperations);
  // The active app manifests (#28), polled from the registry; their operations are served by hash.
  const apps = config.appsUrl
    ? trustedApps({
        url: config.appsUrl,
        key: config.supergraphKey,
        pollMs: config.supergraphPollMs,
        timeoutMs: config.supergraphPollTimeoutMs,
        logger,
        registry: metrics.registry,
        // Kept beside the supergraph: what one restart while the registry is down needs, the other does.
        cachePath: config.supergraphCachePath && `${config.supergraphCachePath}.apps`,
      })
    : undefined;
  const redis = config.redisUrl ? new RedisCache(config.redisUrl, logger) : undefined;
  const persistedQueries = {
    cache: withRegisteredOperations(redis ?? new InMemoryLRUCache<string>(), trusted, apps?.body),
    ttl: config.persistedQueryTtlSeconds,
  };
  const persistedQuery = (hash: string) => persistedQueries.cache.get(`apq:${hash}`);
  const authorization = authorizationGuard({
    ...config.authorization,
    parseQuery,
    identity: identityOf,
    allowAnonymousReads: config.auth.allowAnonymousReads,
    persistedQuery,
    registerPersisted: (hash, text) => persistedQueries.cache.set(`apq:${hash}`, text, { ttl: persistedQueries.ttl }),
  });
  const rateStore =
    config.rateLimits.sets.length === 0
      ? undefined
      : config.rateLimits.store === 'redis'
        ? redisRateStore({ url: config.redisUrl!, prefix: config.rateLimits.redisPrefix, logger, onFallback: () => metrics.rateLimitFallback.inc() })
        : memoryRateStore();
  const limiter =
    rateStore &&
    rateLimiter({
      config: config.rateLimits,
      limits: config.limits,
      parseQuery,
      identity: identityOf,
      persistedQuery,
      store: rateStore,
      onRefused: (rateClass, scope) => metrics.rateLimited.inc({ class: rateClass, scope }),
      logger,
    });

  // The API schema drops the supergraph's @cost and @listSize: read them once per supergraph.
  let costModel = EMPTY_COST_MODEL;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    installKitScalars(apiSchema);
    costModel = costModelOf(coreSupergraphSdl);
    authorization.update(apiSchema, coreSupergraphSdl);
    direct.update(apiSchema, coreSupergraphSdl, costModel);
    const internals = gateway as unknown as Pick<GatewaySchemas, 'apiSchema' | 'supergraphSchema'>;
    deferred.update({ schema: apiSchema, apiSchema: internals.apiSchema, supergraphSchema: internals.supergraphSchema }, coreSupergraphSdl, costModel);
    limiter?.update(apiSchema, costModel);
    usage?.update(apiSchema);
    // The schema Apollo's executeQueryPlan hands computeResponse: ours shapes this gateway's operations only.
    if (config.resultShaping && shaping.supported) shapeResultsOf((gateway as unknown as { apiSchema: object }).apiSchema);
  });
  // A listener of its own: Apollo serves the new supergraph even when another listener throws, so
  // /ready, the metrics and the cache must hear of it regardless.
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => source.loaded(readable.original(coreSupergraphSdl)));

  const shape = shapeGuard(config.limits, parseQuery);
  const trustedOnly =
    config.trustedDocuments === 'enforce' ? enforcedDocumentsGuard(trusted, apps!) : config.trustedDocuments === 'registered' ? trustedDocumentsGuard(trusted) : undefined;
  const httpServer = createServer();
  const serveMetrics = async (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(await metrics.registry.metrics());
  };
  const cache =
    config.responseCacheTtlMs > 0
      ? responseCache({
          ttlMs: config.responseCacheTtlMs,
          maxEntries: 10_000,
          parseQuery,
          persistedQuery,
          supergraph: () => source.current(),
          redisUrl: config.redisUrl,
          logger,
          identity: identityOf,
          allowAnonymousReads: config.auth.allowAnonymousReads,
          partition: authorization.partition,
        })
      : undefined;
  const apollo = createApollo<GatewayContext>({
    gateway,
    httpServer,
    logger,
    introspection: config.introspection,
    persistedQueries,
    parseOptions: { maxTokens: config.limits.maxTokens },
    plugins: [
      demandControlPlugin(config.limits, () => costModel),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ contextValue, operationName, source, document }) {
              contextValue.operation.name = operationName;
              // Validated: from here on the request counts as usage of what its operation names.
              contextValue.operation.text = source;
              contextValue.operation.document = document;
            },
            async willSendResponse({ contextValue, response }) {
              if (contextValue.authorized && response.body.kind === 'single') {
                authorization.patch(contextValue.authorized, response.body.singleResult as Parameters<typeof authorization.patch>[1]);
              }
            },
            async didEncounterErrors({ contextValue, errors, operationName }) {
              contextValue.operation.errors = true;
              for (const error of errors) {
                metrics.errors.inc({ operation: labels.known(operationName), code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
              }
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  // Both wait (bounded) for their first connection at once: a Redis that is down costs one wait, not two.
  const [persistedConnected] = await Promise.all([redis?.connected(), rateStore && 'connected' in rateStore ? rateStore.connected() : undefined]);
  if (redis && !persistedConnected) logger.warn('redis not reachable yet; persisted queries start as misses');
  if (limiter) logger.info({ sets: config.rateLimits.sets, store: config.rateLimits.store }, 'rate limits on');
  // One bounded attempt before serving: a registry that does not answer leaves enforcement refusing app operations until a poll succeeds.
  await apps?.start();

  const cors = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (!origin || !(config.corsOrigins.includes(origin) || config.corsOrigins.includes('*'))) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, apollo-require-preflight, x-request-id',
      vary: 'origin',
    };
  };

  /**
   * The per-client metrics of every GraphQL request, and the usage of one that reached validation
   * (Apollo's or a shortcut's). After the answer is sent: nothing here holds a request up.
   */
  const countClient = (record: RequestRecord, context: GatewayContext | undefined, req: IncomingMessage) => {
    const operation = context?.operation;
    const ran: Ran | undefined =
      operation?.text !== undefined
        ? { text: operation.text, operationName: operation.name, document: operation.document, errors: !!operation.errors }
        : shortcutsRan.get(req);
    const count = (identity: Identity | null) => {
      const { client, clientVersion } = clientOf(req.headers, identity);
      const errors = record.status >= 400 || !!operation?.errors || !!ran?.errors;
      const label = clients.of(client, clientVersion, { learn: record.status === 200 && identity !== null });
      metrics.clientRequests.inc(label);
      if (errors) metrics.clientErrors.inc(label);
      metrics.clientDuration.observe({ client: label.client }, record.durationMs / 1000);
      if (ran) usage?.record({ client, clientVersion, ...ran, durationMs: record.durationMs });
    };
    // Apollo's route made a context with the identity; a shortcut asked for it; a refusal may not
    // have: its token is verified now only if there is one (cached per request either way).
    if (context) count(context.identity);
    else if (req.headers.authorization) identityOf(req).then(count, () => count(null));
    else count(null);
  };

  httpServer.on(
    'request',
    graphqlHttpHandler<GatewayContext>({
      apollo,
      bodyLimitBytes: config.bodyLimitBytes,
      headers: cors,
      guard: (req, raw, body, url) => trustedOnly?.(req, raw, body, url) ?? shape(req, raw, body, url),
      respond: async (req, body, url, requestId) => {
        // The cache keys on the client's own text (and the caller); every other step sees the
        // operation field authorization leaves, which replaces the one in `body`/`url` below.
        const asSent = cache && { body: typeof body === 'object' && body !== null ? { ...body } : body, url: new URL(url) };
        const rejected = await authorization.respond(req, body, url);
        if (rejected) return rejected;
        // Before any answer, cached ones included: every route spends the caller's budget alike.
        const refused = await limiter?.respond(req, body, url);
        if (refused) return refused;
        const ran = (shortcut: RanShortcut | undefined) => {
          if (shortcut?.ran) shortcutsRan.set(req, shortcut.ran);
          return shortcut;
        };
        // The operation field authorization left; its refused fields' nulls and errors are put back.
        const authorized = authorization.of(req);
        const streamed = await deferred.respond(req, body, requestId, authorized && ((whole) => authorization.patch(authorized, whole)));
        if (streamed) return ran(streamed);
        const cached = asSent && (await cache?.respond(req, asSent.body, asSent.url));
        if (cached?.answer !== undefined || !config.directRoute) return ran(cached);
        const answered = await direct.respond(req, body, requestId);
        if (answered?.answer !== undefined) answered.answer = authorization.patchText(req, answered.answer);
        if (answered) cached?.remember?.(answered.status ?? 200, answered.answer!);
        return ran(answered) ?? cached;
      },
      context: async (req, requestId) => {
        const identity = await identityOf(req);
        if (!identity && !config.auth.allowAnonymousReads) {
          throw new GraphQLError('Sign in: this gateway needs a bearer token for every request.', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          });
        }
        return { identity, requestId, operation: {}, failed: direct.failuresOf(req), authorized: authorization.of(req) };
      },
      onError: (error) => logger.error({ err: error }, 'request failed'),
      onResponse: (record, context, req) => {
        if (context?.operation.name) record.operationName = context.operation.name;
        const count = (operation: string) => {
          metrics.requests.inc({ operation, status: String(record.status) });
          metrics.duration.observe({ operation }, record.durationMs / 1000);
        };
        const name = record.operationName;
        // A refusal (401, 429, a guard's 400) never lends its name a label; a signed-in caller's
        // success may. Cached and direct answers make no context: ask who the caller was.
        if (record.status === 200 && labels.mayLearn(name)) {
          void identityOf(req).then(
            (identity) => count(labels.of(name, { learn: identity !== null })),
            () => count(labels.of(name)),
          );
        } else count(labels.of(name, { refused: record.status >= 400 && record.status < 500 }));
        countClient(record, context, req);
        logger.info(record, 'request');
      },
      routes: {
        ...pages,
        '/': (req, res) => (pages['/'] && acceptsHtml(req) ? pages['/'](req, res) : sendError(res, 404, 'NOT_FOUND', 'GraphQL is at /graphql.')),
        '/health': (_req, res) => sendJson(res, 200, { status: 'ok', service: 'gateway' }),
        // With a JWKS_URL, not ready until its key set has been fetched once: no token could be verified.
        '/ready': (_req, res) =>
          !authenticate.ready()
            ? sendJson(res, 503, { status: 'not ready', reason: 'the JWKS_URL key set has not been fetched yet' })
            : config.trustedDocuments === 'enforce' && !apps!.loaded()
              ? sendJson(res, 503, { status: 'not ready', reason: 'TRUSTED_DOCUMENTS=enforce and the app manifests have not been loaded from APPS_URL yet' })
              : sendJson(res, 200, { status: 'ready', supergraph: source.current(), composition: source.composition() }),
        // With METRICS_PORT, only on that port; in production without it, only if METRICS_PUBLIC says so.
        ...(config.publicMetrics ? { '/metrics': serveMetrics } : {}),
      },
    }),
  );
  /** Stops Apollo (and so the public server) and closes every connection the gateway holds. */
  const release = async () => {
    apps?.stop();
    await apollo.stop();
    // After Apollo: the requests it let finish are in the last report.
    await usage?.stop();
    authenticate.close();
    await Promise.all(dataSources.map((d) => d.close()));
    await redis?.close();
    await cache?.close();
    await limiter?.close();
  };
  // A port that is taken must not leave Redis connections (and so the process) behind.
  const failed = async (error: unknown): Promise<never> => {
    await release();
    throw error;
  };
  const port = await listen(httpServer, config.port, config.host, 'gateway').catch(failed);
  const local = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const url = `http://${local}:${port}/graphql`;
  let metricsServer: Server | undefined;
  let metricsUrl = `http://${local}:${port}/metrics`;
  if (config.metricsPort !== undefined) {
    metricsServer = createHttpServer((req, res) => {
      if (new URL(req.url ?? '/', 'http://x').pathname === '/metrics') void serveMetrics(req, res);
      else sendError(res, 404, 'NOT_FOUND', 'Only /metrics is served on this port.');
    });
    const servedOn = await listen(metricsServer, config.metricsPort, config.host, 'gateway metrics').catch(failed);
    metricsUrl = `http://${local}:${servedOn}/metrics`;
  }
  if (config.metricsPort === undefined && !config.publicMetrics) {
    // Not a refusal: the gateway serves without metrics; the operator learns why none are scraped.
    logger.warn('/metrics is not served: set METRICS_PORT to serve it on a port of its own, or METRICS_PUBLIC=true to serve it on the public port');
  }
  logger.info({ url, metrics: config.metricsPort === undefined && !config.publicMetrics ? undefined : metricsUrl, mode: config.mode }, 'gateway ready');

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await release();
    if (metricsServer) await new Promise((done) => metricsServer!.close(done));
  };
  return { url, port, metricsUrl, stop: () => (stopping ??= stop()) };
}
