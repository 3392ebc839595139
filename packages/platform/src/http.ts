import { type ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inSpan, recordErrorCodes, serverSpan, type Span, SpanStatusCode } from './tracing';

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What the handler knows of a finished request, for logs and metrics. */
export interface RequestRecord {
  requestId: string;
  method: string;
  operationName?: string;
  status: number;
  durationMs: number;
}

export interface GraphQLHttpOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  context: (req: IncomingMessage, requestId: string) => Promise<C>;
  /** Extra routes by path, e.g. `/health`. */
  routes?: Record<string, Route>;
  bodyLimitBytes: number;
  /** Checks a GraphQL request before Apollo sees it; a refusal is answered as it says. */
  guard?: (req: IncomingMessage, rawBody: string, body: unknown, url: URL) => Refusal | null | Promise<Refusal | null>;
  /**
   * Answers a request without Apollo where it can (a cached response); otherwise `remember` is
   * given Apollo's complete answer.
   */
  respond?: (req: IncomingMessage, body: unknown, url: URL, requestId: string) => Promise<Shortcut | undefined>;
  /** Extra response headers for every GraphQL response (e.g. CORS). */
  headers?: (req: IncomingMessage) => Record<string, string>;
  onError?: (error: unknown) => void;
  /** Called when a GraphQL response is sent, with the request's context if one was made. */
  onResponse?: (record: RequestRecord, context: C | undefined, req: IncomingMessage) => void;
}

/** Why a request is refused before it runs, and with which status and code. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

export interface Shortcut {
  answer?: string;
  /** An answer sent in parts as they are ready (a deferred operation's multipart/mixed), instead of `answer`. */
  stream?: AsyncIterable<string>;
  /** The name of the operation answered, where the body did not say it. */
  operationName?: string;
  /** The answer's media type; JSON unless said. */
  contentType?: string;
  /** The answer's HTTP status; 200 unless said. */
  status?: number;
  /** More response headers for the answer. */
  headers?: Record<string, string>;
  /** The codes of the answer's errors, for the request's span (a refusal's code). */
  errorCodes?: string[];
  remember?: (status: number, text: string) => void;
}

/** A JSON POST body that is a plain GraphQL request: a query text, no extensions, well-typed fields. */
export interface PlainGraphQLBody {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | undefined;
}

/** The body as a plain GraphQL request, or undefined where it is anything else (for Apollo to judge). */
export function plainGraphQLBody(body: unknown): PlainGraphQLBody | undefined {
  const { query, variables, operationName, extensions } = (body ?? {}) as Record<string, unknown>;
  if (typeof query !== 'string' || extensions !== undefined) return undefined;
  if (operationName != null && typeof operationName !== 'string') return undefined;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  return { query, variables: (variables ?? {}) as Record<string, unknown>, operationName: operationName ?? undefined };
}

export const GRAPHQL_PATH = '/graphql';

/** True when the client prefers a page to JSON: a browser's navigation, not an API client. */
export function acceptsHtml(req: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(req.headers.accept ?? '');
}
export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Answers with a GraphQL-shaped error body, so every client parses failures the same way. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  if (headers.connection === 'close') lingerOnClose(res);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

class BodyTooLarge extends Error {}

/** How long a connection refused mid-upload keeps reading what its client still sends before it is cut. */
const LINGER_MS = 5_000;

/**
 * Closes the connection after this response the way nginx's lingering close does (every answer sent
 * with `connection: close`, which is how a refusal leaves a body unread). Node destroys a
 * `Connection: close` socket as soon as the answer is written; if the client is still uploading, the
 * kernel answers the next bytes with a reset, and the reset can discard the 413 before the client
 * reads it (4 of 15 10 MB uploads to the gateway lost their answer that way, and up to two thirds
 * to a bare Node server, the client in another process). Half-closing instead and draining the
 * rest for a bounded time keeps the answer.
 */
function lingerOnClose(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  socket.destroySoon = () => {
    socket.end();
    const cut = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(cut));
  };
}

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
        req.resume();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The caller's request id when it is a sane one (so it can be followed across services), else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * A node:http listener serving GraphQL at /graphql through Apollo Server, plus the given routes.
 * Written once for subgraphs and gateway alike.
 */
export function graphqlHttpHandler<C extends BaseContext>(options: GraphQLHttpOptions<C>) {
  return (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== GRAPHQL_PATH) return handle(req, res, url, undefined);
    const method = req.method ?? 'GET';
    // One server span per GraphQL request, a child of the caller's traceparent, ended when the answer is sent.
    return serverSpan(`${method} ${GRAPHQL_PATH}`, req.headers, { 'http.request.method': method, 'url.path': GRAPHQL_PATH }, (span) => {
      if (span) res.once('close', () => endServerSpan(span, res.statusCode));
      return handle(req, res, url, span);
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, span: Span | undefined): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(req);
    let operationName: string | undefined;
    let contextValue: C | undefined;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.once('finish', () => {
      if (url.pathname !== GRAPHQL_PATH) return;
      if (operationName) span?.setAttribute('graphql.operation.name', operationName);
      span?.setAttribute('request.id', requestId);
      options.onResponse?.(
        { requestId, method: req.method ?? 'GET', operationName, status: res.statusCode, durationMs: performance.now() - started },
        contextValue,
        req,
      );
    });
    try {
      const route = options.routes?.[url.pathname];
      if (route) return await route(req, res);
      if (url.pathname !== GRAPHQL_PATH) return sendError(res, 404, 'NOT_FOUND', `Nothing at ${url.pathname}; GraphQL is at ${GRAPHQL_PATH}.`);
      for (const [key, value] of Object.entries(options.headers?.(req) ?? {})) res.setHeader(key, value);
      if (req.method === 'OPTIONS') {
        res.statusCode = 204;
        return void res.end();
      }

      let body: unknown = undefined;
      let text = '';
      if (req.method === 'POST') {
        text = await readBody(req, options.bodyLimitBytes);
        const type = req.headers['content-type'] ?? '';
        if (/json/i.test(type)) {
          try {
            body = JSON.parse(text);
          } catch {
            return sendError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
          }
          if (typeof (body as { operationName?: unknown })?.operationName === 'string') {
            operationName = (body as { operationName: string }).operationName.slice(0, 100);
          }
        } else body = text;
      } else operationName = url.searchParams.get('operationName')?.slice(0, 100);
      const refusal = await options.guard?.(req, text, body, url);
      if (refusal) {
        if (span) recordErrorCodes([refusal.code]);
        return sendError(res, refusal.status, refusal.code, refusal.message);
      }
      // Past its checks: a shortcut's answer, or Apollo's.
      await inSpan('graphql.execute', {}, async () => {
        const shortcut = await options.respond?.(req, body, url, requestId);
        if (shortcut?.stream) {
          operationName ??= shortcut.operationName;
          res.writeHead(shortcut.status ?? 200, { ...shortcut.headers, 'content-type': shortcut.contentType!, 'cache-control': 'no-store' });
          for await (const part of shortcut.stream) res.write(part);
          return void res.end();
        }
        if (shortcut?.answer !== undefined) {
          operationName ??= shortcut.operationName;
          if (shortcut.errorCodes) recordErrorCodes(shortcut.errorCodes);
          res.writeHead(shortcut.status ?? 200, {
            ...shortcut.headers,
            'content-type': shortcut.contentType ?? 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(shortcut.answer),
          });
          return void res.end(shortcut.answer);
        }

        const headers = new HeaderMap();
        for (const [key, value] of Object.entries(req.headers)) {
          if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
        }
        const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method ?? 'GET', headers, search: url.search, body };
        const response = await options.apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest,
          context: async () => (contextValue = await options.context(req, requestId)),
        });
        for (const [key, value] of response.headers) res.setHeader(key, value);
        res.statusCode = response.status ?? 200;
        if (response.body.kind === 'complete') {
          res.end(response.body.string);
          shortcut?.remember?.(res.statusCode, response.body.string);
        } else {
          for await (const chunk of response.body.asyncIterator) res.write(chunk);
          res.end();
        }
      });
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${options.bodyLimitBytes} bytes.`, { connection: 'close' });
      }
      options.onError?.(error);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      else res.destroy();
    }
  }
}

function endServerSpan(span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
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
