import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface GraphQLHttpOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  context: (req: IncomingMessage) => Promise<C>;
  /** Extra routes by path, e.g. `/health`. */
  routes?: Record<string, Route>;
  bodyLimitBytes: number;
  onError?: (error: unknown) => void;
}

export const GRAPHQL_PATH = '/graphql';

/** Answers with a GraphQL-shaped error body, so every client parses failures the same way. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A node:http listener serving GraphQL at /graphql through Apollo Server, plus the given routes.
 * Written once for subgraphs and gateway alike.
 */
export function graphqlHttpHandler<C extends BaseContext>(options: GraphQLHttpOptions<C>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      const route = options.routes?.[url.pathname];
      if (route) return await route(req, res);
      if (url.pathname !== GRAPHQL_PATH) return sendError(res, 404, 'NOT_FOUND', `Nothing at ${url.pathname}; GraphQL is at ${GRAPHQL_PATH}.`);

      let body: unknown = undefined;
      if (req.method === 'POST') {
        const text = await readBody(req, options.bodyLimitBytes);
        const type = req.headers['content-type'] ?? '';
        if (/json/i.test(type)) {
          try {
            body = JSON.parse(text);
          } catch {
            return sendError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
          }
        } else body = text;
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method ?? 'GET', headers, search: url.search, body };
      const response = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: () => options.context(req),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
      } else {
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${options.bodyLimitBytes} bytes.`, { connection: 'close' });
      }
      options.onError?.(error);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.destroy();
    }
  };
}

/** Listens and resolves with the bound port; a taken port becomes a message, not a stack trace. */
export function listen(server: Server, port: number, host: string, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new PortInUseError(`${service}: port ${port} on ${host} is already in use. Stop what holds it, or choose another port.`));
      } else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export class PortInUseError extends Error {
  name = 'PortInUseError';
}

export { createServer };
