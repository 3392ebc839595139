import { CITY, taskForceId } from '@zigong/reference-data';
import { createHash } from 'node:crypto';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { startPlatform, type TestPlatform } from '../support/platform';
import { roundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy';

/**
 * Field authorization through real processes: organization and finance sit behind proxies that
 * log every request body the gateway sends them, so "the subgraph is never asked for a field the
 * caller may not read" is read from what the subgraph received, not inferred from the answer.
 */
let platform: TestPlatform;
let proxies: Record<string, RoundRobinProxy>;
const received: Record<string, string[]> = { organization: [], finance: [] };
let filtering: ExtraGateway;
let rejecting: ExtraGateway;
let caching: ExtraGateway;

const CITY_FORCE = taskForceId(CITY.code);
const MEMBERS = `query Members($id: ID!) { taskForce(id: $id) { name members { name background } } }`;

beforeAll(async () => {
  platform = await startPlatform();
  proxies = {};
  for (const name of ['organization', 'finance']) {
    const subgraph = platform.subgraphs.find((s) => s.name === name)!;
    proxies[name] = await roundRobinProxy([subgraph.url], { onRequest: (body) => received[name].push(body) });
  }
  const urls = Object.fromEntries(platform.subgraphs.map((s) => [s.name, proxies[s.name] ? `${proxies[s.name].url}${new URL(s.url).pathname}` : s.url]));
  [filtering, rejecting, caching] = await Promise.all([
    startExtraGateway(urls),
    startExtraGateway(urls, { AUTHORIZATION_MODE: 'reject' }),
    startExtraGateway(urls, { RESPONSE_CACHE_TTL_MS: '60000' }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([filtering, rejecting, caching].map((g) => g?.stop()));
  await Promise.all(Object.values(proxies ?? {}).map((p) => p.close()));
  await platform?.stop();
});

async function post(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: Array<{ path?: Array<string | number>; extensions?: { code?: string } }> } };
}

/** Runs `send`, returning its answer and the bodies each logged subgraph received meanwhile. */
async function logged<T>(send: () => Promise<T>): Promise<{ answer: T; organization: string[]; finance: string[] }> {
  const from = { organization: received.organization.length, finance: received.finance.length };
  const answer = await send();
  return { answer, organization: received.organization.slice(from.organization), finance: received.finance.slice(from.finance) };
}

describe('field authorization (filter mode, the default)', () => {
  it('answers a guarded field null with an error at its path, and never asks the subgraph for it', async () => {
    const { answer, organization } = await logged(() => post(filtering.url, MEMBERS, { id: CITY_FORCE }));
    expect(answer.status).toBe(200);
    const members = answer.body.data.taskForce.members as Array<{ name: string; background: string | null }>;
    expect(members.length).toBe(4);
    for (const member of members) {
      expect(Object.keys(member)).toEqual(['name', 'background']);
      expect(member.background).toBeNull();
    }
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: ['taskForce', 'members', '@', 'background'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })]);
    expect(organization.length).toBeGreaterThan(0);
    for (const body of organization) expect(body).not.toContain('background');
  });

  it('answers whole with the scope, and the subgraph is asked for the field', async () => {
    const token = await filtering.token('organization:personnel');
    const { answer, organization } = await logged(() => post(filtering.url, MEMBERS, { id: CITY_FORCE }, token));
    expect(answer.body.errors).toBeUndefined();
    const backgrounds = (answer.body.data.taskForce.members as Array<{ background: string | null }>).map((m) => m.background);
    expect(backgrounds.every((b) => typeof b === 'string' && b.length > 0)).toBe(true);
    expect(organization.some((body) => body.includes('background'))).toBe(true);
  });

  it('a token without the scope is no better than none; one of several scopes is enough', async () => {
    const other = await filtering.token('finance:write organization:read');
    expect((await post(filtering.url, MEMBERS, { id: CITY_FORCE }, other)).body.errors?.[0].extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    const several = await filtering.token('finance:write organization:personnel');
    expect((await post(filtering.url, MEMBERS, { id: CITY_FORCE }, several)).body.errors).toBeUndefined();
  });

  it('completes answers across subgraphs (Apollo’s route), and a removed non-null field nulls its parent', async () => {
    const query = `query($id: ID!) { taskForce(id: $id) { members { background } coordinatedFunds { id allocations(first: 2) { amount allocatedBy } } } }`;
    const { answer, organization, finance } = await logged(() => post(filtering.url, query, { id: CITY_FORCE }));
    // allocatedBy is String!: its allocation is null, which [FundAllocation!]! cannot hold, so its
    // fund, which [Fund!]! cannot hold, so the nullable task force: graphql-js's null bubbling.
    expect(answer.body.data).toEqual({ taskForce: null });
    expect(answer.body.errors!.map((e) => e.path!.join('.'))).toEqual(['taskForce.members.@.background', 'taskForce.coordinatedFunds.@.allocations.@.allocatedBy']);
    for (const body of [...organization, ...finance]) {
      expect(body).not.toContain('background');
      expect(body).not.toContain('allocatedBy');
    }
    const whole = await post(filtering.url, query, { id: CITY_FORCE }, await filtering.token('organization:personnel finance:read'));
    expect(whole.body.errors).toBeUndefined();
    expect(whole.body.data.taskForce.coordinatedFunds.length).toBeGreaterThan(0);
  });

  it('leaves operations that ask for nothing guarded as they are', async () => {
    const { answer, organization } = await logged(() => post(filtering.url, `{ taskForce(id: "${CITY_FORCE}") { name members { name } } }`));
    expect(answer.body.errors).toBeUndefined();
    expect(organization.some((body) => body.includes('members'))).toBe(true);
  });
});

describe('field authorization and persisted queries', () => {
  it('filters a query registered by hash, and serves it by hash alone afterwards, filtered per caller', async () => {
    const query = `query Persisted($id: ID!) { taskForce(id: $id) { members { name background } } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const send = async (body: object, token?: string) => {
      const response = await fetch(filtering.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ variables: { id: CITY_FORCE }, extensions, ...body }),
      });
      return (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
    };
    const registered = await logged(() => send({ query }));
    expect(registered.answer.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    for (const body of registered.organization) expect(body).not.toContain('background');
    const byHash = await send({});
    expect(byHash.data.taskForce.members[0]).toEqual({ name: expect.any(String), background: null });
    expect(byHash.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    const whole = await send({}, await filtering.token('organization:personnel'));
    expect(whole.errors).toBeUndefined();
    expect(typeof whole.data.taskForce.members[0].background).toBe('string');
  });
});

describe('field authorization (reject mode)', () => {
  it('refuses the whole request, naming what the caller may not read, and asks no subgraph', async () => {
    const { answer, organization } = await logged(() => post(rejecting.url, MEMBERS, { id: CITY_FORCE }));
    expect(answer.status).toBe(403);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: ['taskForce', 'members', '@', 'background'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })]);
    expect(organization).toEqual([]);
    const allowed = await post(rejecting.url, MEMBERS, { id: CITY_FORCE }, await rejecting.token('organization:personnel'));
    expect(allowed.status).toBe(200);
    expect(allowed.body.errors).toBeUndefined();
  });
});

describe('field authorization and the response cache', () => {
  it('never serves a scoped answer to a caller without the scope', async () => {
    const token = await caching.token('organization:personnel');
    const scoped = await post(caching.url, MEMBERS, { id: CITY_FORCE }, token);
    expect(scoped.body.errors).toBeUndefined();
    // Cached now (no errors); the same text without the scope must still be filtered.
    const again = await logged(() => post(caching.url, MEMBERS, { id: CITY_FORCE }, token));
    expect(again.answer.body).toEqual(scoped.body);
    expect(again.organization).toEqual([]); // answered from the cache
    const anonymous = await post(caching.url, MEMBERS, { id: CITY_FORCE });
    expect(anonymous.body.data.taskForce.members.every((m: { background: unknown }) => m.background === null)).toBe(true);
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  });
});
