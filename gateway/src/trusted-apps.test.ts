import { ConfigError, createLogger } from '@zigong/platform';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { loadGatewayConfig } from './config';
import { enforcedDocumentsGuard, type TrustedApps, trustedApps } from './trusted-apps';

/**
 * TRUSTED_DOCUMENTS and APPS_URL as the gateway reads them, and the enforcing guard over manifests
 * polled from a real HTTP server in this process standing in for the registry's GET /apps.
 */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const LOCAL = { GATEWAY_MODE: 'local' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('TRUSTED_DOCUMENTS and APPS_URL', () => {
  it('reads false, true and enforce; true keeps its meaning (the registered operations)', () => {
    expect(loadGatewayConfig(LOCAL).trustedDocuments).toBe('off');
    expect(loadGatewayConfig({ ...LOCAL, TRUSTED_DOCUMENTS: 'false' }).trustedDocuments).toBe('off');
    expect(loadGatewayConfig({ ...LOCAL, TRUSTED_DOCUMENTS: 'true' }).trustedDocuments).toBe('registered');
    expect(loadGatewayConfig({ ...LOCAL, TRUSTED_DOCUMENTS: 'enforce', SUPERGRAPH_URL: 'http://127.0.0.1:4010/supergraph' }).trustedDocuments).toBe('enforce');
    expect(problemsOf({ ...LOCAL, TRUSTED_DOCUMENTS: 'strict' })).toEqual([
      'TRUSTED_DOCUMENTS must be false, true (the registered operations only) or enforce (and each client\'s app\'s active operations), got "strict".',
    ]);
  });

  it("with enforce, polls the /apps beside SUPERGRAPH_URL's /supergraph, for its variant, unless APPS_URL says where", () => {
    const enforce = { ...LOCAL, TRUSTED_DOCUMENTS: 'enforce' };
    expect(loadGatewayConfig({ ...enforce, SUPERGRAPH_URL: 'http://registry:4010/supergraph?variant=staging' }).appsUrl).toBe('http://registry:4010/apps?variant=staging');
    expect(loadGatewayConfig({ ...enforce, SUPERGRAPH_URL: 'http://registry:4010/supergraph' }).appsUrl).toBe('http://registry:4010/apps?variant=production');
    expect(loadGatewayConfig({ ...enforce, SUPERGRAPH_URL: 'https://ops.example/registry/supergraph?variant=production' }).appsUrl).toBe('https://ops.example/registry/apps?variant=production');
    expect(loadGatewayConfig({ ...enforce, APPS_URL: 'http://other:4010/apps?variant=x' }).appsUrl).toBe('http://other:4010/apps?variant=x');
    expect(problemsOf(enforce)).toEqual([
      "TRUSTED_DOCUMENTS=enforce needs the active app manifests: set APPS_URL (the registry's /apps?variant=<name>), or SUPERGRAPH_URL, whose registry's /apps is then polled.",
    ]);
  });

  it('polls nothing without enforcement unless APPS_URL is set; SUPERGRAPH_KEY then goes with it', () => {
    expect(loadGatewayConfig({ ...LOCAL, SUPERGRAPH_URL: 'http://registry:4010/supergraph' }).appsUrl).toBeUndefined();
    expect(loadGatewayConfig({ ...LOCAL, TRUSTED_DOCUMENTS: 'true', SUPERGRAPH_URL: 'http://registry:4010/supergraph' }).appsUrl).toBeUndefined();
    expect(loadGatewayConfig({ ...LOCAL, APPS_URL: 'http://registry:4010/apps', SUPERGRAPH_KEY: 'k' }).supergraphKey).toBe('k');
    expect(problemsOf({ ...LOCAL, SUPERGRAPH_KEY: 'k' })).toEqual(['SUPERGRAPH_KEY is set but SUPERGRAPH_URL is not: it is used only when the supergraph is polled from a registry.']);
  });

  it('in production, needs SUPERGRAPH_KEY for an APPS_URL over plain http to another machine', () => {
    const production = {
      GATEWAY_MODE: 'production',
      JWT_SECRET: randomBytes(32).toString('hex'),
      GATEWAY_SIGNING_SECRET: randomBytes(32).toString('hex'),
      JWT_ISSUER: 'https://idp.example/',
      JWT_AUDIENCE: 'zigong-graph',
      TRUSTED_DOCUMENTS: 'enforce',
      APPS_URL: 'http://registry:4010/apps?variant=production',
    };
    expect(problemsOf(production)).toEqual([
      "GATEWAY_MODE=production needs SUPERGRAPH_KEY with APPS_URL over plain http to registry:4010: the registry's access key for gateways (one of its SUPERGRAPH_KEYS).",
    ]);
  });
});

describe('the enforcing guard over polled manifests', () => {
  const DASHBOARD = 'query VillagePage { village(id: "1") { name } }';
  const REPORT = 'query Regions { regions { name } }';
  const REGISTERED = 'query Registered { regions { id } }';
  let answer: { status: number; body: string; etag?: string };
  const requests: IncomingMessage[] = [];
  let server: Server;
  let apps: TrustedApps;
  let metrics: Registry;

  const manifests = (entries: Array<[string, string, string[]]>) => {
    const body = JSON.stringify({ apps: entries.map(([app, version, bodies]) => ({ app, version, operations: bodies.map((b) => ({ id: sha256(b), body: b })) })) });
    return { status: 200, body, etag: `"${sha256(body)}"` };
  };
  const request = (client: string | undefined) => ({ headers: client ? { 'apollographql-client-name': client } : {} }) as IncomingMessage;
  const guard = () => enforcedDocumentsGuard(new Map([[sha256(REGISTERED), REGISTERED]]), apps);
  const check = (client: string | undefined, body: unknown) => guard()(request(client), '', body, new URL('http://gateway/graphql'));
  const byHash = (text: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } });
  const waitForPolls = async (count: number) => {
    const target = requests.length + count;
    while (requests.length < target) await new Promise((done) => setTimeout(done, 10));
    await new Promise((done) => setTimeout(done, 20));
  };

  beforeAll(async () => {
    answer = manifests([
      ['dashboard', '3.2.0', [DASHBOARD]],
      ['annual-report', '1.0.0', [REPORT]],
    ]);
    server = createServer((req, res) => {
      requests.push(req);
      if (answer.etag && req.headers['if-none-match'] === answer.etag) {
        res.writeHead(304, { etag: answer.etag });
        return void res.end();
      }
      res.writeHead(answer.status, answer.etag ? { etag: answer.etag } : {});
      res.end(answer.body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    metrics = new Registry();
    apps = trustedApps({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/apps?variant=production`,
      key: 'the-key',
      pollMs: 50,
      timeoutMs: 1_000,
      logger: createLogger('test', 'silent'),
      registry: metrics,
    });
    await apps.start();
  });
  afterAll(async () => {
    apps.stop();
    await new Promise((done) => server.close(done));
  });

  it('loads the manifests at start, sending the access key, and then asks with the ETag', async () => {
    expect(apps.loaded()).toBe(true);
    expect(requests[0].headers['x-supergraph-key']).toBe('the-key');
    await waitForPolls(1);
    expect(requests[requests.length - 1].headers['if-none-match']).toBe(answer.etag);
  });

  it("lets a client run its app's operations by hash or text, and the registered ones; nothing else", () => {
    expect(check('dashboard', byHash(DASHBOARD))).toBeNull();
    expect(check('dashboard', { query: DASHBOARD })).toBeNull();
    expect(check('dashboard', { query: REGISTERED })).toBeNull();
    expect(check(undefined, byHash(REGISTERED))).toBeNull();
    for (const [client, body] of [
      ['dashboard', byHash(REPORT)],
      ['dashboard', { query: `${DASHBOARD} ` }],
      [undefined, byHash(DASHBOARD)],
      ['other', { query: DASHBOARD }],
      ['dashboard', { extensions: { persistedQuery: { version: 1, sha256Hash: 42 } } }],
    ] as const) {
      expect([client, body, check(client, body)?.code]).toEqual([client, body, 'PERSISTED_QUERY_NOT_ALLOWED']);
    }
    // Not a GraphQL request: Apollo answers it as it always has.
    expect(check('dashboard', {})).toBeNull();
    expect(apps.body(sha256(REPORT))).toBe(REPORT);
  });

  it('drops a version the registry no longer lists at the next poll, and says which are active', async () => {
    answer = manifests([['annual-report', '1.0.0', [REPORT]]]);
    await waitForPolls(2);
    expect(check('dashboard', byHash(DASHBOARD))?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    expect(apps.body(sha256(DASHBOARD))).toBeUndefined();
    const text = await metrics.metrics();
    expect(text).toContain('gateway_apps_info{app="annual-report",version="1.0.0"} 1');
    expect(text).not.toContain('app="dashboard"');
  });

  it('keeps the last manifests when an answer is not one, or an operation is not under its sha256, counting each', async () => {
    answer = { status: 200, body: JSON.stringify({ apps: [{ app: 'annual-report', version: '1.0.0', operations: [{ id: sha256(DASHBOARD), body: REPORT }] }] }) };
    await waitForPolls(2);
    answer = { status: 503, body: 'unavailable' };
    await waitForPolls(2);
    expect(check('annual-report', byHash(REPORT))).toBeNull();
    expect(check('annual-report', byHash(DASHBOARD))?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
    const text = await metrics.metrics();
    expect(Number(/gateway_apps_poll_failures_total\{kind="invalid"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/gateway_apps_poll_failures_total\{kind="http_503"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
  });
});
