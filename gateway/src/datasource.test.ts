import { IDENTITY_HEADER, MemoryNonceStore, type Refusal, REQUEST_ID_HEADER, signatureGuard } from '@zigong/platform';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DepartmentDataSource, type GatewayContext } from './datasource';
import { createMetrics } from './metrics';

/*
 * The data source the gateway's query plans call, against a real HTTP server standing in for a
 * subgraph: what it sends, and what it makes of each kind of answer.
 */

const SECRET = 'datasource-test-signing-secret-long-enough';
let server: Server;
let answer: { status: number; body: string; headers?: Record<string, string> };
let received: Array<{ headers: IncomingHttpHeaders; body: string; refusal: Refusal | null }>;
let source: DepartmentDataSource;

beforeAll(async () => {
  const guard = signatureGuard(SECRET, new MemoryNonceStore());
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      received.push({ headers: req.headers, body, refusal: await guard(req, body) });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  source = new DepartmentDataSource({ name: 'tourism', url: `http://127.0.0.1:${port}/graphql`, timeoutMs: 2_000, signingSecret: SECRET, metrics: createMetrics() });
});
beforeEach(() => {
  received = [];
  answer = { status: 200, body: '{"data":{"x":1}}' };
});
afterAll(async () => {
  await source.close();
  await new Promise((done) => server.close(done));
});

const context: GatewayContext = { identity: { sub: 'alice', scopes: ['finance:write'] }, requestId: 'req-1', operation: {} };

/** As @apollo/gateway's plan execution calls a data source, with a cache policy to restrict. */
function call(query = 'query Q($a: Int) { x(a: $a) }', hints: unknown[] = []) {
  const overallCachePolicy = { restrict: (hint: unknown) => hints.push(hint) };
  return source.process({
    kind: 'incoming operation',
    request: { query, variables: { a: 1 }, operationName: 'Q' },
    context,
    incomingRequestContext: { overallCachePolicy, context },
  } as never);
}

describe('DepartmentDataSource', () => {
  it('sends the operation signed, with the caller’s identity and the request id', async () => {
    expect(await call()).toEqual({ data: { x: 1 } });
    const [{ headers, body, refusal }] = received;
    expect(JSON.parse(body)).toEqual({ query: 'query Q($a: Int) { x(a: $a) }', variables: { a: 1 }, operationName: 'Q' });
    // As a subgraph checks it: method, path, identity and body signed, the nonce new.
    expect(refusal).toBeNull();
    expect(headers['signature-input']).toMatch(/^zigong=\("@method" "@path" "@query" "content-digest" "x-zigong-identity"\);created=\d+;nonce="/);
    expect(headers[REQUEST_ID_HEADER]).toBe('req-1');
    expect(JSON.parse(Buffer.from(headers[IDENTITY_HEADER] as string, 'base64url').toString())).toMatchObject({ sub: 'alice' });
    expect(headers['content-type']).toBe('application/json');
  });

  it('names the department in every error the subgraph sends', async () => {
    answer.body = JSON.stringify({ errors: [{ message: 'no', extensions: { code: 'BAD_USER_INPUT' } }, { message: 'other' }], data: { x: null } });
    const response = await call();
    expect(response.errors).toEqual([
      { message: 'no', extensions: { code: 'BAD_USER_INPUT', subgraph: 'tourism' } },
      { message: 'other', extensions: { subgraph: 'tourism' } },
    ]);
  });

  it('restricts the request’s cache policy by the subgraph’s Cache-Control', async () => {
    const hints: unknown[] = [];
    answer.headers = { 'cache-control': 'no-store' };
    await call(undefined, hints);
    answer.headers = { 'cache-control': 'public, max-age=30' };
    await call(undefined, hints);
    answer.headers = { 'cache-control': 'max-age=abc, private' };
    await call(undefined, hints);
    expect(hints).toEqual([{ maxAge: 0 }, { maxAge: 30, scope: 'PUBLIC' }, { maxAge: 0, scope: 'PRIVATE' }]);
  });

  it('an answer that is no GraphQL response: SUBGRAPH_ERROR naming the department', async () => {
    for (const body of ['<html>oops</html>', '[1,2]', 'null']) {
      answer.body = body;
      await expect(call()).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_ERROR', subgraph: 'tourism' } });
    }
  });

  it('an HTTP error: SUBGRAPH_ERROR naming the department and its status, with its own first message, never the client’s fault', async () => {
    answer = { status: 400, body: JSON.stringify({ errors: [{ message: 'Fields "price" conflict', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] }) };
    await expect(call()).rejects.toMatchObject({
      message: 'The tourism subgraph answered HTTP 400: Fields "price" conflict',
      extensions: { code: 'SUBGRAPH_ERROR', subgraph: 'tourism' },
    });
    answer = { status: 503, body: 'busy' };
    await expect(call()).rejects.toMatchObject({ message: 'The tourism subgraph answered HTTP 503.', extensions: { code: 'SUBGRAPH_ERROR', subgraph: 'tourism' } });
    answer = { status: 401, body: '{"errors":[{"message":"unsigned request"}]}' };
    await expect(call()).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_REFUSED', subgraph: 'tourism' } });
  });

  it('a failure the direct route already met for this request is reported without asking again', async () => {
    const failed = new Error('already failed');
    await expect(
      source.process({ kind: 'incoming operation', request: { query: '{ x }' }, context: { ...context, failed: new Map([['tourism', failed as never]]) } } as never),
    ).rejects.toBe(failed);
    expect(received).toHaveLength(0);
  });
});
