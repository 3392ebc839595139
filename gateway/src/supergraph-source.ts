import { Supergraph } from '@apollo/federation-internals';
import type { SupergraphManager } from '@apollo/gateway';
import { QueryPlanner } from '@apollo/query-planner';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '@zigong/platform';
import { keepFile, readKeptFile } from './cache-file';
import type { Metrics } from './metrics';
import { withoutAuthorizationPurpose } from './authorization';

export const supergraphHash = (sdl: string) => createHash('sha256').update(sdl).digest('hex').slice(0, 16);

/** A supergraph and, when a registry served it, what the registry called it. */
export interface SourcedSupergraph {
  sdl: string;
  hash: string;
  etag?: string;
  compositionId?: string;
}

export interface SupergraphSource {
  manager: SupergraphManager;
  /** Hash of the supergraph now being served. */
  current(): string;
  /** The registry's id of the composition now being served; undefined for a file. */
  composition(): string | undefined;
  /**
   * Called by the gateway each time Apollo has loaded a supergraph (onSchemaLoadOrUpdate): only
   * then is it the one served, and only then is it worth keeping in SUPERGRAPH_CACHE_PATH.
   */
  loaded(sdl: string): void;
}

export interface SupergraphSourceOptions {
  path?: string;
  /** The registry's `/supergraph?variant=`; polled instead of watching `path`. */
  url?: string;
  /** Sent as X-Supergraph-Key. */
  key?: string;
  pollMs: number;
  timeoutMs?: number;
  /** How long start-up waits for `url` when there is no cached supergraph. */
  startupTimeoutMs?: number;
  cachePath?: string;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * Builds a supergraph as the gateway will (Apollo validates only outside NODE_ENV=production):
 * one that throws here is refused before it reaches Apollo, so it can neither fail a start nor
 * half-replace the one being served.
 */
export function checkSupergraph(sdl: string): void {
  const supergraph = Supergraph.build(withoutAuthorizationPurpose(sdl), { validateSupergraph: true });
  supergraph.apiSchema();
  new QueryPlanner(supergraph);
}

/** Why a request to SUPERGRAPH_URL gave no supergraph to serve; `kind` is the failure metric's label. */
class PollError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

interface CacheFile {
  url: string;
  etag?: string;
  compositionId?: string;
  hash: string;
  savedAt: string;
  sdl: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Serves the supergraph from a file (watched by polling its status, which also sees a
 * Kubernetes ConfigMap's symlink swap) or from a registry's URL (polled with its ETag). A new
 * supergraph is swapped in without a restart; requests in flight finish on the old one. One that
 * does not load is logged and refused, and the old one keeps serving.
 */
export function supergraphSource(options: SupergraphSourceOptions): SupergraphSource {
  const { path, url, logger, metrics } = options;
  let served: SourcedSupergraph | undefined;
  // Handed to Apollo and not yet loaded: its ETag and composition id wait here for `loaded`.
  let candidate: SourcedSupergraph | undefined;
  const show = (supergraph: SourcedSupergraph) => {
    metrics?.supergraphInfo.reset();
    metrics?.supergraphInfo.set({ composition: supergraph.compositionId ?? '', hash: supergraph.hash }, 1);
  };
  const registry = url
    ? registrySource({ ...options, url }, () => served, (compositionId) => {
        served = { ...served!, compositionId };
        show(served);
        registry!.keep(served);
      })
    : undefined;
  const manager: SupergraphManager = registry
    ? registry.manager((next) => (candidate = next))
    : fileSource(path!, options.pollMs, logger, () => served?.hash);
  return {
    manager,
    current: () => served?.hash ?? '',
    composition: () => served?.compositionId,
    loaded(sdl) {
      const hash = supergraphHash(sdl);
      served = candidate?.hash === hash ? candidate : { sdl, hash };
      candidate = undefined;
      show(served);
      registry?.keep(served);
    },
  };
}

function fileSource(path: string, pollMs: number, logger: Logger, servedHash: () => string | undefined): SupergraphManager {
  const read = (): string => {
    if (!existsSync(path)) throw new Error(`No supergraph at ${path}: run \`npm run compose\` first.`);
    return readFileSync(path, 'utf8');
  };
  return {
    async initialize({ update }) {
      const supergraphSdl = read();
      // A refused supergraph is not tried again until its content changes.
      let rejected = '';
      const check = () => {
        let sdl: string;
        try {
          sdl = read();
        } catch (error) {
          logger.warn({ err: error }, 'supergraph source unreadable; keeping the current supergraph');
          return;
        }
        const next = supergraphHash(sdl);
        if (next === servedHash() || next === rejected) return;
        try {
          checkSupergraph(sdl);
          const from = servedHash();
          update(sdl);
          logger.info({ from, to: next }, 'supergraph replaced');
          rejected = '';
        } catch (error) {
          logger.error({ err: error, rejected: next }, 'new supergraph refused; keeping the current one');
          rejected = next;
        }
      };
      watchFile(path, { interval: pollMs }, check);
      return { supergraphSdl, cleanup: async () => unwatchFile(path, check) };
    },
  };
}

/**
 * The registry side: a conditional GET every `pollMs` (304 costs the registry nothing), the last
 * supergraph loaded kept on disk, and at start either the registry's supergraph, the cached one
 * at once when the registry cannot give one, or retries until `startupTimeoutMs`.
 */
function registrySource(
  options: SupergraphSourceOptions & { url: string },
  served: () => SourcedSupergraph | undefined,
  relabel: (compositionId: string) => void,
) {
  const { url, key, pollMs, timeoutMs = 5_000, startupTimeoutMs = 60_000, cachePath, logger, metrics } = options;
  // What the registry last answered with, served or refused: its ETag goes in If-None-Match.
  let offer: { etag?: string; hash: string; refused: boolean } | undefined;
  // Failures are logged as a warning once, then quietly until the registry answers again.
  let failing = false;

  const fetchSupergraph = async (etag: string | undefined): Promise<{ unchanged: true; compositionId?: string } | { unchanged: false; supergraph: SourcedSupergraph }> => {
    const headers: Record<string, string> = { accept: 'text/plain' };
    if (etag) headers['if-none-match'] = etag;
    if (key) headers['x-supergraph-key'] = key;
    try {
      // One signal for the headers and the body: a registry that stalls mid-body times out too.
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      const compositionId = response.headers.get('x-composition-id') ?? undefined;
      if (response.status === 304) return { unchanged: true, compositionId };
      const body = await response.text();
      if (!response.ok) {
        let code: unknown;
        try {
          code = JSON.parse(body)?.errors?.[0]?.extensions?.code;
        } catch {
          // not the registry's JSON error: the status says enough
        }
        throw new PollError(`http_${response.status}`, `${url} answered HTTP ${response.status}${typeof code === 'string' ? ` ${code}` : ''}`);
      }
      return { unchanged: false, supergraph: { sdl: body, hash: supergraphHash(body), etag: response.headers.get('etag') ?? undefined, compositionId } };
    } catch (error) {
      if (error instanceof PollError) throw error;
      if ((error as Error).name === 'TimeoutError') throw new PollError('timeout', `${url} did not answer within ${timeoutMs} ms`);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new PollError('unreachable', `${url} is unreachable (${cause?.code ?? cause?.message ?? (error as Error).message})`);
    }
  };

  const succeeded = () => {
    if (failing) logger.info({ url }, 'SUPERGRAPH_URL answers again');
    failing = false;
    metrics?.supergraphPolled();
  };
  const failed = (error: unknown) => {
    const kind = error instanceof PollError ? error.kind : 'refused';
    metrics?.supergraphPollFailures.inc({ kind });
    if (kind === 'refused') return;
    if (failing) logger.debug({ err: error }, 'SUPERGRAPH_URL still gives no supergraph');
    else logger.warn({ err: error, composition: served()?.compositionId }, 'SUPERGRAPH_URL gives no supergraph; keeping the current one');
    failing = true;
  };
  /** Refuses a supergraph that does not build, remembering it so that it is not built again. */
  const accept = (supergraph: SourcedSupergraph) => {
    offer = { etag: supergraph.etag, hash: supergraph.hash, refused: true };
    try {
      checkSupergraph(supergraph.sdl);
    } catch (error) {
      logger.error({ err: error, rejected: supergraph.hash, composition: supergraph.compositionId }, 'supergraph from SUPERGRAPH_URL refused: it does not load; keeping the current one');
      throw new PollError('refused', `${url} served a supergraph that does not load: ${(error as Error).message}`);
    }
    offer.refused = false;
  };

  const readCache = (): SourcedSupergraph | undefined => {
    if (!cachePath) return undefined;
    try {
      const file = readKeptFile(cachePath) as Partial<CacheFile> | undefined;
      if (!file) return undefined;
      if (typeof file.sdl !== 'string' || supergraphHash(file.sdl) !== file.hash) throw new Error('its content does not match the hash it was saved with');
      if (file.url !== url) {
        // Another variant's supergraph (the URL names it) must not be served in this one's place.
        logger.warn({ path: cachePath, cached: file.url, url }, 'cached supergraph came from another SUPERGRAPH_URL; ignored');
        return undefined;
      }
      checkSupergraph(file.sdl);
      return { sdl: file.sdl, hash: file.hash, etag: file.etag, compositionId: file.compositionId };
    } catch (error) {
      logger.warn({ err: error, path: cachePath }, 'cached supergraph in SUPERGRAPH_CACHE_PATH is unusable; ignored');
      return undefined;
    }
  };
  const keep = (supergraph: SourcedSupergraph) => {
    if (!cachePath) return;
    try {
      const file: CacheFile = { url, etag: supergraph.etag, compositionId: supergraph.compositionId, hash: supergraph.hash, savedAt: new Date().toISOString(), sdl: supergraph.sdl };
      keepFile(cachePath, file);
    } catch (error) {
      logger.warn({ err: error, path: cachePath }, 'could not write SUPERGRAPH_CACHE_PATH; a restart while the registry is down will not find this supergraph');
    }
  };

  const first = async (): Promise<SourcedSupergraph> => {
    const cached = readCache();
    const deadline = Date.now() + startupTimeoutMs;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        const answer = await fetchSupergraph(cached?.etag);
        if (answer.unchanged) {
          // Only a cached ETag was sent, so this is the cached supergraph, perhaps under a rollback's new id.
          if (!cached) throw new PollError('http_304', `${url} answered 304 to a request without If-None-Match`);
          offer = { etag: cached.etag, hash: cached.hash, refused: false };
          succeeded();
          return { ...cached, compositionId: answer.compositionId ?? cached.compositionId };
        }
        accept(answer.supergraph);
        succeeded();
        return answer.supergraph;
      } catch (error) {
        failed(error);
        if (cached) {
          logger.warn({ err: error, composition: cached.compositionId, path: cachePath }, 'no supergraph from SUPERGRAPH_URL at start; serving the cached one until it answers');
          offer ??= { etag: cached.etag, hash: cached.hash, refused: false };
          return cached;
        }
        if (Date.now() + delay > deadline) {
          const hint = cachePath ? '' : ' (with SUPERGRAPH_CACHE_PATH, a gateway that has once loaded a supergraph starts from it)';
          throw new Error(`No supergraph to serve after ${startupTimeoutMs} ms (SUPERGRAPH_STARTUP_TIMEOUT_MS): ${(error as Error).message}${hint}.`);
        }
        logger.warn({ err: error, retryInMs: delay }, 'no supergraph from SUPERGRAPH_URL yet; retrying');
        await sleep(delay);
      }
    }
  };

  const poll = async (update: (sdl: string) => void, handOver: (next: SourcedSupergraph) => void) => {
    try {
      const answer = await fetchSupergraph(offer?.etag);
      const current = served();
      if (answer.unchanged) {
        if (offer?.refused) throw new PollError('refused', `${url} still serves the supergraph refused before`);
        // A rollback to an identical supergraph is a new composition with the same ETag.
        if (current && answer.compositionId && answer.compositionId !== current.compositionId) relabel(answer.compositionId);
        succeeded();
        return;
      }
      const next = answer.supergraph;
      if (next.hash === offer?.hash && offer.refused) throw new PollError('refused', `${url} still serves the supergraph refused before`);
      if (next.hash !== current?.hash) {
        accept(next);
        handOver(next);
        update(next.sdl);
        logger.info({ from: current?.hash, to: next.hash, composition: next.compositionId }, 'supergraph replaced');
      } else if (next.compositionId && next.compositionId !== current.compositionId) {
        // Apollo loads nothing for a supergraph it already serves: only the name changes.
        relabel(next.compositionId);
      }
      offer = { etag: next.etag, hash: next.hash, refused: false };
      succeeded();
    } catch (error) {
      if (!(error instanceof PollError)) {
        // Apollo itself refused it (update threw): the served supergraph is untouched.
        logger.error({ err: error, composition: served()?.compositionId }, 'supergraph from SUPERGRAPH_URL refused by the gateway; keeping the current one');
        if (offer) offer.refused = true;
      }
      failed(error);
    }
  };

  return {
    keep,
    manager: (handOver: (next: SourcedSupergraph) => void): SupergraphManager => ({
      async initialize({ update }) {
        const start = await first();
        handOver(start);
        let stopped = false;
        let timer: NodeJS.Timeout | undefined;
        const schedule = () => {
          if (!stopped) timer = setTimeout(() => void poll(update, handOver).finally(schedule), pollMs);
        };
        schedule();
        return {
          supergraphSdl: start.sdl,
          cleanup: async () => {
            stopped = true;
            clearTimeout(timer);
          },
        };
      },
    }),
  };
}
