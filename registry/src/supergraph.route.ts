import { type Authenticate, type Route, sendError } from '@zigong/platform';
import { GraphQLError } from 'graphql';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hasRegistryScope } from './access';
import type { RegistryService } from './registry.service';

export const SUPERGRAPH_KEY_HEADER = 'x-supergraph-key';
const DEFAULT_VARIANT = 'production';

export interface SupergraphRouteOptions {
  service: RegistryService;
  /** SUPERGRAPH_KEYS; with none and `open`, anyone may read. */
  keys: string[];
  /** Local mode without keys: the supergraph is served to anyone who reaches the port. */
  open: boolean;
  authenticate: Authenticate;
  /** Called with the status of each answer, for metrics. */
  onAnswer?: (status: number) => void;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Who may read what gateways are served: an access key, any registry token, anyone in an open (local) registry. */
export type GatewayAccessOptions = Pick<SupergraphRouteOptions, 'keys' | 'open' | 'authenticate'>;

/**
 * The access check of what gateways read (GET /supergraph, GET /apps): null when `req` may read
 * `what`, else the refusal to answer with.
 */
export function gatewayAccess(options: GatewayAccessOptions, what: string) {
  // Compared as digests, in constant time: the keys' length and content stay unmeasurable.
  const keys = options.keys.map(digest);
  const keyMatches = (given: string) => {
    const candidate = digest(given);
    return keys.reduce((found, key) => timingSafeEqual(key, candidate) || found, false);
  };
  return async (req: IncomingMessage): Promise<{ status: number; code: string; message: string } | null> => {
    if (options.open) return null;
    const key = req.headers[SUPERGRAPH_KEY_HEADER];
    if (typeof key === 'string' && key !== '' && keys.length && keyMatches(key)) return null;
    const authorization = req.headers.authorization;
    if (authorization) {
      try {
        const identity = await options.authenticate(authorization);
        if (hasRegistryScope(identity)) return null;
        return { status: 403, code: 'FORBIDDEN', message: `Reading ${what} needs a registry scope (registry:read, registry:admin or <department>:publish).` };
      } catch (error) {
        if (error instanceof GraphQLError) {
          const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
          return { status, code: String(error.extensions.code ?? 'UNAUTHENTICATED'), message: error.message };
        }
        throw error;
      }
    }
    return { status: 401, code: 'UNAUTHENTICATED', message: `Reading ${what} needs an access key (${SUPERGRAPH_KEY_HEADER}) or a bearer token with a registry scope.` };
  };
}

/**
 * GET /supergraph?variant=: the SDL gateways are served, with its sha256 as a strong ETag; a
 * gateway that sends it back as If-None-Match gets 304 and no body, so polling every few seconds
 * costs one small query. Read with an access key (X-Supergraph-Key) or any registry token.
 */
export function supergraphRoute(options: SupergraphRouteOptions): Route {
  const allowed = gatewayAccess(options, 'the supergraph');

  return async (req, res) => {
    const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      options.onAnswer?.(status);
      sendError(res, status, code, message, headers);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'METHOD_NOT_ALLOWED', 'GET /supergraph?variant=<name>.', { allow: 'GET, HEAD' });
    const refusal = await allowed(req);
    if (refusal) return answer(refusal.status, refusal.code, refusal.message);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const variant = url.searchParams.get('variant') || DEFAULT_VARIANT;
    let served;
    try {
      served = await options.service.served(variant, etagHash(req.headers['if-none-match']));
    } catch (error) {
      const code = (error as GraphQLError).extensions?.code;
      if (code === 'UNKNOWN_VARIANT' || code === 'INVALID_NAME') return answer(404, 'UNKNOWN_VARIANT', (error as Error).message);
      throw error;
    }
    if (!served) return answer(404, 'NO_COMPOSITION', `Nothing has been published to ${variant} yet: there is no supergraph to serve.`);
    const headers = { etag: `"${served.hash}"`, 'x-composition-id': served.compositionId, 'cache-control': 'no-cache' };
    options.onAnswer?.(served.sdl === undefined ? 304 : 200);
    if (served.sdl === undefined) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(served.sdl) });
    res.end(req.method === 'HEAD' ? undefined : served.sdl);
  };
}

/** The hash an If-None-Match names, when it names one of ours (`"<hex>"`, weak or not, or one of a list). */
export function etagHash(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /"([0-9a-f]{64})"/.exec(header)?.[1];
}
