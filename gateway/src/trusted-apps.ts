import type { Logger, Refusal } from '@zigong/platform';
import type { IncomingMessage } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import { keepFile, readKeptFile } from './cache-file';
import { persistedQueryHash, queryText } from './documents';
import { sha256 } from './persisted-queries';

/**
 * The active app manifests (#28), polled from the registry's GET /apps?variant= with its ETag as
 * the supergraph is, and kept in memory: per app, the operations of its ACTIVE versions by
 * sha256. With TRUSTED_DOCUMENTS=enforce a client may run only the registered operations and the
 * operations of the app it names (apollographql-client-name); a persisted-query hash of an active
 * operation is served by its body without the client ever sending it. A registry that cannot be
 * reached leaves the last manifests serving (after a restart, the ones kept on disk); a retired
 * version is gone at the next poll.
 */

/** The header a client names its app in (Apollo Client's `name`), as the usage reports read it. */
export const CLIENT_NAME_HEADER = 'apollographql-client-name';

export interface TrustedAppsOptions {
  /** The registry's GET /apps?variant=. */
  url: string;
  /** Sent as X-Supergraph-Key: the access key gateways read the registry with. */
  key?: string;
  pollMs: number;
  timeoutMs: number;
  logger: Logger;
  /** The gateway's metrics registry: gateway_apps_* are registered on it. */
  registry: Registry;
  /**
   * Where the last manifests loaded are kept, so that a gateway restarted while the registry is
   * down accepts its apps' operations at once instead of refusing them all until it is back.
   */
  cachePath?: string;
}

/** The cache file: the answer with the URL it came from (another variant's apps must not be served) and its ETag. */
interface CacheFile {
  url: string;
  etag?: string;
  savedAt: string;
  answer: AppsAnswer;
}

export interface TrustedApps {
  /** The body of operation `hash` when it belongs to an active version of `app`. */
  operation(app: string | undefined, hash: string): string | undefined;
  /** The body of operation `hash` of any active version: what a persisted-query lookup by hash is served. */
  body(hash: string): string | undefined;
  /** Whether a manifest list has been loaded since start (enforcement refuses every app operation until then). */
  loaded(): boolean;
  /** Fetches once (bounded by the timeout, never throwing), then polls every pollMs. */
  start(): Promise<void>;
  stop(): void;
}

/** GET /apps's body. */
interface AppsAnswer {
  apps: Array<{ app: string; version: string; operations: Array<{ id: string; body: string }> }>;
}

class PollError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The answer, checked: a gateway must never trust an operation under a hash that is not its body's. */
function readAnswer(text: string): AppsAnswer {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new PollError('invalid', 'the answer is not JSON');
  }
  const apps = (answer as { apps?: unknown })?.apps;
  if (!Array.isArray(apps)) throw new PollError('invalid', 'the answer has no "apps" list');
  for (const entry of apps) {
    if (typeof entry?.app !== 'string' || typeof entry.version !== 'string' || !Array.isArray(entry.operations)) throw new PollError('invalid', 'an app entry is not {app, version, operations}');
    for (const operation of entry.operations) {
      if (typeof operation?.id !== 'string' || !HEX64.test(operation.id) || typeof operation.body !== 'string' || sha256(operation.body) !== operation.id) {
        throw new PollError('invalid', `an operation of ${String(entry.app).slice(0, 64)} ${String(entry.version).slice(0, 64)} is not stored under the sha256 of its body`);
      }
    }
  }
  return answer as AppsAnswer;
}

export function trustedApps(options: TrustedAppsOptions): TrustedApps {
  const { url, key, pollMs, timeoutMs, logger, cachePath } = options;
  const info = new Gauge({
    name: 'gateway_apps_info',
    help: "The app versions whose operations this gateway accepts (ACTIVE in the registry's GET /apps), 1 each",
    labelNames: ['app', 'version'] as const,
    registers: [options.registry],
  });
  const failures = new Counter({
    name: 'gateway_apps_poll_failures_total',
    help: 'Polls of APPS_URL that gave no app manifests, by kind (unreachable, timeout, http_<status>, invalid); the last ones loaded keep serving',
    labelNames: ['kind'] as const,
    registers: [options.registry],
  });
  const lastSuccess = new Gauge({
    name: 'gateway_apps_last_poll_success_timestamp_seconds',
    help: 'When APPS_URL last answered (200 or 304); 0 until it has',
    registers: [options.registry],
  });
  lastSuccess.set(0);

  let byApp = new Map<string, Map<string, string>>();
  let bodies = new Map<string, string>();
  let etag: string | undefined;
  let loaded = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const install = (answer: AppsAnswer) => {
    const apps = new Map<string, Map<string, string>>();
    const all = new Map<string, string>();
    info.reset();
    for (const entry of answer.apps) {
      let operations = apps.get(entry.app);
      if (!operations) apps.set(entry.app, (operations = new Map()));
      for (const operation of entry.operations) {
        operations.set(operation.id, operation.body);
        all.set(operation.id, operation.body);
      }
      info.set({ app: entry.app, version: entry.version }, 1);
    }
    // Swapped whole: a request sees the old manifests or the new ones, never half of each.
    byApp = apps;
    bodies = all;
  };

  const poll = async () => {
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (etag) headers['if-none-match'] = etag;
      if (key) headers['x-supergraph-key'] = key;
      let response: Response;
      try {
        response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') throw new PollError('timeout', `${url} did not answer within ${timeoutMs} ms`);
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new PollError('unreachable', `${url} is unreachable (${cause?.code ?? cause?.message ?? (error as Error).message})`);
      }
      if (response.status !== 304) {
        let text: string;
        try {
          text = await response.text();
        } catch (error) {
          throw new PollError((error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable', `${url} broke off its answer: ${(error as Error).message}`);
        }
        if (!response.ok) throw new PollError(`http_${response.status}`, `${url} answered HTTP ${response.status}`);
        const answer = readAnswer(text);
        install(answer);
        etag = response.headers.get('etag') ?? undefined;
        logger.info({ apps: answer.apps.map((entry) => `${entry.app}@${entry.version}`), operations: bodies.size }, 'app manifests loaded');
        keep(answer);
      }
      loaded = true;
      lastSuccess.set(Date.now() / 1000);
      if (failing) logger.info({ url }, 'APPS_URL answers again');
      failing = false;
    } catch (error) {
      const kind = error instanceof PollError ? error.kind : 'invalid';
      failures.inc({ kind });
      if (failing) logger.debug({ err: error }, 'APPS_URL still gives no app manifests');
      else logger.warn({ err: error, loaded }, 'APPS_URL gives no app manifests; keeping the last ones loaded');
      failing = true;
    }
  };

  const keep = (answer: AppsAnswer) => {
    if (!cachePath) return;
    try {
      keepFile(cachePath, { url, etag, savedAt: new Date().toISOString(), answer } satisfies CacheFile);
    } catch (error) {
      logger.warn({ err: error, path: cachePath }, 'could not keep the app manifests on disk; a restart while the registry is down will refuse their operations');
    }
  };

  /** At start, when the registry did not answer: the manifests kept by the last process, checked as an answer is. */
  const restore = () => {
    if (!cachePath) return;
    try {
      const file = readKeptFile(cachePath) as Partial<CacheFile> | undefined;
      if (!file) return;
      if (file.url !== url) {
        logger.warn({ path: cachePath, cached: file.url, url }, 'kept app manifests came from another APPS_URL; ignored');
        return;
      }
      const answer = readAnswer(JSON.stringify(file.answer));
      install(answer);
      etag = file.etag;
      loaded = true;
      logger.warn({ path: cachePath, savedAt: file.savedAt, apps: answer.apps.map((entry) => `${entry.app}@${entry.version}`) }, 'APPS_URL gives no app manifests; serving the ones kept on disk until it does');
    } catch (error) {
      logger.warn({ err: error, path: cachePath }, 'kept app manifests are unusable; ignored');
    }
  };

  const schedule = () => {
    if (stopped) return;
    // One poll at a time: the next is scheduled when this one has ended, however long it took.
    timer = setTimeout(() => void poll().finally(schedule), pollMs);
    timer.unref();
  };

  return {
    operation: (app, hash) => (app === undefined ? undefined : byApp.get(app)?.get(hash)),
    body: (hash) => bodies.get(hash),
    loaded: () => loaded,
    async start() {
      await poll();
      if (!loaded) restore();
      schedule();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The app a request names, when it names one (one header value, not a list). */
export function clientName(req: IncomingMessage): string | undefined {
  const name = req.headers[CLIENT_NAME_HEADER];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * TRUSTED_DOCUMENTS=enforce: a request runs only a registered operation, or an operation of an
 * ACTIVE version of the app it names, sent as a persisted-query hash or as the full text whose
 * sha256 is one. Anything else, another app's operation included, is PERSISTED_QUERY_NOT_ALLOWED.
 */
export function enforcedDocumentsGuard(registered: Map<string, string>, apps: TrustedApps) {
  return (req: IncomingMessage, _raw: string, body: unknown, url: URL): Refusal | null => {
    const query = queryText(body, url) ?? undefined;
    const given = persistedQueryHash(body, url);
    if (query === undefined && given === undefined) return null; // not a GraphQL request; Apollo answers it
    const hash = query !== undefined ? sha256(query) : typeof given === 'string' ? given : undefined;
    const app = clientName(req);
    if (hash !== undefined && (registered.has(hash) || apps.operation(app, hash) !== undefined)) return null;
    const why = !apps.loaded()
      ? 'the app manifests have not been loaded from the registry yet'
      : app === undefined
        ? `the request names no app (${CLIENT_NAME_HEADER}), so only the registered operations may run`
        : `"${app.slice(0, 64)}" has no ACTIVE version with this operation`;
    return {
      status: 400,
      code: 'PERSISTED_QUERY_NOT_ALLOWED',
      message: `This gateway runs only the registered operations and the operations of the active app versions published to the registry (zigong app publish): ${why}.`,
    };
  };
}
