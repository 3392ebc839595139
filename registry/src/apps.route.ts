import { type Route, sendError } from '@zigong/platform';
import type { GraphQLError } from 'graphql';
import type { AppsService } from './apps.service';
import { etagHash, gatewayAccess, type GatewayAccessOptions } from './supergraph.route';

const DEFAULT_VARIANT = 'production';

export interface AppsRouteOptions extends GatewayAccessOptions {
  apps: AppsService;
  /** Called with the status of each answer, for metrics. */
  onAnswer?: (status: number) => void;
}

/**
 * GET /apps?variant=: the variant's ACTIVE app versions and their operations, as gateways that
 * enforce trusted documents load them (`{"apps":[{"app","version","operations":[{"id","body"}]}]}`),
 * with the body's sha256 as a strong ETag and 304 for a gateway that already has it. Read as
 * /supergraph is: an access key (X-Supergraph-Key) or any registry token.
 */
export function appsRoute(options: AppsRouteOptions): Route {
  const allowed = gatewayAccess(options, 'the active app manifests');
  return async (req, res) => {
    const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      options.onAnswer?.(status);
      sendError(res, status, code, message, headers);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'METHOD_NOT_ALLOWED', 'GET /apps?variant=<name>.', { allow: 'GET, HEAD' });
    const refusal = await allowed(req);
    if (refusal) return answer(refusal.status, refusal.code, refusal.message);
    const variant = new URL(req.url ?? '/', 'http://localhost').searchParams.get('variant') || DEFAULT_VARIANT;
    let served;
    try {
      served = await options.apps.active(variant);
    } catch (error) {
      const code = (error as GraphQLError).extensions?.code;
      if (code === 'UNKNOWN_VARIANT' || code === 'INVALID_NAME') return answer(404, 'UNKNOWN_VARIANT', (error as Error).message);
      throw error;
    }
    const headers = { etag: `"${served.hash}"`, 'cache-control': 'no-cache' };
    if (etagHash(req.headers['if-none-match']) === served.hash) {
      options.onAnswer?.(304);
      res.writeHead(304, headers);
      return void res.end();
    }
    options.onAnswer?.(200);
    res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(served.body) });
    res.end(req.method === 'HEAD' ? undefined : served.body);
  };
}
