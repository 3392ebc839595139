import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayProxy {
  url: string;
  /** Holds every answer this long from now on (0: passes them on at once), as a slow department would. */
  slow(ms: number): void;
  close(): Promise<void>;
}

/**
 * A subgraph slowed on purpose, without a test hook in the subgraph: a proxy in front of it that
 * forwards each request as it came (method, path, headers, body: the gateway's signature still
 * holds) and holds the answer for the set delay before sending it on.
 */
export async function delayProxy(target: string): Promise<DelayProxy> {
  let delayMs = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const to = new URL(req.url ?? '/', target);
      const held = delayMs;
      const upstream = request(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (response) => {
        const answer: Buffer[] = [];
        response.on('data', (chunk: Buffer) => answer.push(chunk));
        response.on('end', () => {
          const send = () => {
            res.writeHead(response.statusCode ?? 502, response.headers);
            res.end(Buffer.concat(answer));
          };
          if (held) setTimeout(send, held);
          else send();
        });
      });
      upstream.on('error', () => res.headersSent || res.writeHead(502).end('the subgraph did not answer'));
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(new URL(target).pathname, `http://127.0.0.1:${port}`).toString(),
    slow: (ms) => (delayMs = ms),
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
