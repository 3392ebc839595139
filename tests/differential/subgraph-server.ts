import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DocumentNode, execute, type GraphQLError, getOperationAST, parse, validate } from 'graphql';
import type { LocatedFixture } from './fixtures';
import { buildWorld, type WorldOptions, type WorldSubgraph } from './world';

/** Every fixture's subgraphs, served from this process on one loopback port, one path each. */
export interface SubgraphServers {
  urlOf(fixture: string, subgraph: string): string;
  /** How long each answer waits: long enough that a batch's requests overlap in the gateways. */
  delayMs: number;
  stop(): Promise<void>;
}

type Prepared = { document: DocumentNode } | { errors: readonly GraphQLError[] };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A GraphQL-over-HTTP endpoint per subgraph: parse, validate, execute with graphql-js on the
 * schema @apollo/subgraph built. Requests that cannot run (bad JSON, syntax, validation, no such
 * operation, bad variables) are answered 400 with errors only, as the platform's own subgraphs
 * (Apollo Server) answer them; anything that executed is 200 with data.
 */
export async function startSubgraphServers(fixtures: LocatedFixture[], delayMs = 1, world: WorldOptions = {}): Promise<SubgraphServers> {
  const subgraphs = new Map<string, WorldSubgraph & { prepared: Map<string, Prepared> }>();
  for (const fixture of fixtures) {
    for (const subgraph of buildWorld(fixture, world)) subgraphs.set(`/${fixture.name}/${subgraph.name}`, { ...subgraph, prepared: new Map() });
  }
  const state = { delayMs };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const subgraph = subgraphs.get(path);
    if (!subgraph) return send(res, 404, { errors: [{ message: `No subgraph at ${path}` }] });
    if (req.method !== 'POST') return send(res, 405, { errors: [{ message: 'POST only' }] });
    let request: { query?: unknown; variables?: Record<string, unknown> | null; operationName?: string | null };
    try {
      request = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { errors: [{ message: 'The body is not JSON.' }] });
    }
    if (typeof request.query !== 'string') return send(res, 400, { errors: [{ message: 'No query.' }] });
    // Gateways send the same texts over and over: parse and validate each once.
    let prepared = subgraph.prepared.get(request.query);
    if (!prepared) {
      try {
        const document = parse(request.query);
        const errors = validate(subgraph.schema, document);
        prepared = errors.length ? { errors } : { document };
      } catch (error) {
        prepared = { errors: [error as GraphQLError] };
      }
      subgraph.prepared.set(request.query, prepared);
    }
    if ('errors' in prepared) return send(res, 400, { errors: prepared.errors });
    const operation = getOperationAST(prepared.document, request.operationName ?? undefined);
    const result = await execute({
      schema: subgraph.schema,
      document: prepared.document,
      rootValue: subgraph.rootValue(operation?.operation ?? 'query'),
      variableValues: request.variables ?? undefined,
      operationName: request.operationName ?? undefined,
      fieldResolver: subgraph.fieldResolver,
    });
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    send(res, 'data' in result ? 200 : 400, result);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, { errors: [{ message: String(error?.message ?? error) }] });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    urlOf: (fixture, subgraph) => `http://127.0.0.1:${port}/${fixture}/${subgraph}`,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
