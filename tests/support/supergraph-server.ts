import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { restartable } from './restartable';

export interface SupergraphServer {
  /** `http://127.0.0.1:<port>/supergraph?variant=production`, what a gateway's SUPERGRAPH_URL says. */
  url: string;
  /** Serves `sdl` as composition `compositionId` from now on; undefined answers 404 NO_COMPOSITION. */
  serve(sdl: string | undefined, compositionId?: string): void;
  /** Stops listening (connections refused, as a registry that was killed); `start` listens again on the same port. */
  down(): Promise<void>;
  start(): Promise<void>;
  /** Holds every answer this long from now on (0: answers at once), as a registry slowed by its database would. */
  slow(ms: number): void;
  /** The most requests that were in flight at once. */
  maxInFlight(): number;
  /** The headers of every request, oldest first, and how each was answered. */
  requests: Array<{ headers: IncomingHttpHeaders; status: number }>;
  close(): Promise<void>;
}

export const etagOf = (sdl: string) => `"${createHash('sha256').update(sdl).digest('hex')}"`;

/**
 * A stand-in for the registry's `GET /supergraph`, as the shared contract has it: the SDL with
 * `ETag: "<sha256 hex>"` and `X-Composition-Id`, 304 to a matching If-None-Match, 404
 * NO_COMPOSITION before the first, 401 without the key when one is set.
 */
export async function supergraphServer({ key }: { key?: string } = {}): Promise<SupergraphServer> {
  let current: { sdl: string; compositionId: string } | undefined;
  const requests: SupergraphServer['requests'] = [];
  let delayMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    // A gateway polling here also reports usage to this origin's /usage (on by default with
    // SUPERGRAPH_URL): not the supergraph's traffic, so neither answered nor counted as it.
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/supergraph') {
      req.resume();
      return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"message":"not here","extensions":{"code":"NOT_FOUND"}}]}');
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => inFlight--);
    const answer = (status: number, headers: Record<string, string>, body?: string) => {
      requests.push({ headers: req.headers, status });
      const send = () => {
        if (!res.destroyed) res.writeHead(status, headers).end(body);
      };
      if (delayMs) setTimeout(send, delayMs);
      else send();
    };
    const error = (status: number, code: string) =>
      answer(status, { 'content-type': 'application/json' }, JSON.stringify({ errors: [{ message: code, extensions: { code } }] }));
    if (key && req.headers['x-supergraph-key'] !== key) return error(401, 'UNAUTHENTICATED');
    if (!current) return error(404, 'NO_COMPOSITION');
    const etag = etagOf(current.sdl);
    const headers = { etag, 'x-composition-id': current.compositionId, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === etag) return answer(304, headers);
    answer(200, { ...headers, 'content-type': 'text/plain; charset=utf-8' }, current.sdl);
  });
  const { start, down, port, close } = restartable(server);
  await start();
  return {
    url: `http://127.0.0.1:${port()}/supergraph?variant=production`,
    serve: (sdl, compositionId = 'unnamed') => (current = sdl === undefined ? undefined : { sdl, compositionId }),
    down,
    start,
    slow: (ms) => (delayMs = ms),
    maxInFlight: () => maxInFlight,
    requests,
    close,
  };
}
