import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  /** Requests that failed on one backend and were sent again to the next. */
  retried: number;
  close(): Promise<void>;
}

/**
 * A small load balancer, as a Kubernetes Service or an ingress would be: requests go to the
 * backends in turn, and a request whose backend fails (refused, reset) is sent to the next one.
 * GraphQL queries are safe to resend; the tests send mutations only where that is intended.
 * `onRequest` sees every request body that reaches it: a subgraph's request log.
 */
export async function roundRobinProxy(backends: string[], { onRequest }: { onRequest?: (body: string) => void } = {}): Promise<RoundRobinProxy> {
  let next = 0;
  const state = { retried: 0 };
  // A backend that failed is passed over for a while, as a load balancer's health check would.
  const downUntil = backends.map(() => 0);
  const pick = (after?: number) => {
    for (let step = 0; step < backends.length; step++) {
      const index = after === undefined ? next++ % backends.length : (after + 1 + step) % backends.length;
      if (downUntil[index] <= Date.now()) return index;
    }
    return (after ?? next++) % backends.length;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      onRequest?.(body.toString('utf8'));
      const attempt = (tries: number, previous?: number) => {
        const index = pick(previous);
        const target = new URL(req.url ?? '/', backends[index]);
        const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        });
        upstream.on('error', () => {
          downUntil[index] = Date.now() + 2_000;
          if (tries + 1 < backends.length * 2 && !res.headersSent) {
            state.retried++;
            attempt(tries + 1, index);
          } else if (!res.headersSent) {
            res.writeHead(502).end('no backend answered');
          }
        });
        upstream.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get retried() {
      return state.retried;
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}
