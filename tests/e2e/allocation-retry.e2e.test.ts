import { zigongDivisions } from '@zigong/reference-data';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { startPlatform, type TestPlatform } from '../support/platform';

/*
 * A client that retries an allocation after its gateway timed out must not allocate twice. A
 * proxy in front of finance holds back the answer to the first attempt of every other key
 * beyond the gateway's subgraph timeout: the allocation is made, the client hears
 * SUBGRAPH_TIMEOUT, and retries with the same idempotency key.
 */
const ALLOCATIONS = 200;
const TIMEOUT_MS = 300;
/** undici checks its timeouts about twice a second: the held answer comes well after any of them. */
const HELD_MS = 2_500;

let platform: TestPlatform;
let gateway: ExtraGateway;
let proxy: Server;
let pg: Client;
const held = new Set<string>();
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  platform = await startPlatform({ departments: ['organization', 'finance'] });
  const finance = new URL(platform.subgraphs.find((s) => s.name === 'finance')!.url);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = /"idempotencyKey":"(retry-\d*[02468])"/.exec(body.toString())?.[1];
      const delay = key && !held.has(key) ? HELD_MS : 0;
      if (key) held.add(key);
      const upstream = request(finance, { method: req.method, headers: { ...req.headers, host: finance.host } }, (response) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(res);
        }, delay);
        timers.add(timer);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  const urls = Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));
  urls.finance = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${finance.pathname}`;
  gateway = await startExtraGateway(urls, { SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS) });
  pg = new Client({ connectionString: platform.database.url });
  await pg.connect();
});
afterAll(async () => {
  for (const timer of timers) clearTimeout(timer);
  proxy?.closeAllConnections();
  await pg?.end();
  await gateway?.stop();
  await new Promise((done) => proxy?.close(done));
  await platform?.stop();
});

const ALLOCATE = `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id amount purpose } }`;

it(`allocates each of ${ALLOCATIONS} retried allocations exactly once`, async () => {
  const authorization = `Bearer ${await gateway.token('finance:write', { sub: 'retrying-client' })}`;
  const [fund] = (await pg.query(`SELECT id FROM finance.fund ORDER BY balance DESC LIMIT 1`)).rows;
  const villages = zigongDivisions().villages.map((v) => v.code);
  const balanceOf = async () => (await pg.query(`SELECT allocated_amount::text AS a FROM finance.fund WHERE id = $1`, [fund.id])).rows[0].a as string;
  const before = await balanceOf();

  const attempts: Record<string, string[]> = {};
  const allocate = async (i: number) => {
    const input = { fundId: fund.id, villageId: villages[i % villages.length], amount: '0.01', purpose: `retry ${i}`, idempotencyKey: `retry-${i}` };
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: ALLOCATE, variables: { input } }),
      });
      const answer = (await response.json()) as { data?: { allocateFund: { id: string } } | null; errors?: Array<{ extensions: { code: string } }> };
      (attempts[i] ??= []).push(answer.errors?.[0]?.extensions.code ?? 'OK');
      if (answer.data?.allocateFund) return answer.data.allocateFund.id;
    }
    throw new Error(`allocation ${i} never succeeded: ${attempts[i]}`);
  };
  const ids: string[] = [];
  for (let batch = 0; batch < ALLOCATIONS; batch += 50) {
    ids.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => allocate(batch + j)))));
  }

  // Every held first attempt timed out and was retried (on a busy machine others may time out
  // too, and be retried the same way); the retry was answered with the first attempt's allocation.
  const held = Object.entries(attempts).filter(([i]) => Number(i) % 2 === 0);
  expect(held.filter(([, codes]) => codes[0] !== 'SUBGRAPH_TIMEOUT')).toEqual([]);
  expect(Object.values(attempts).flat().filter((code) => code !== 'OK' && code !== 'SUBGRAPH_TIMEOUT')).toEqual([]);
  const { rows } = await pg.query(`SELECT id, purpose FROM finance.fund_allocation WHERE purpose LIKE 'retry %' ORDER BY id`);
  expect(rows).toHaveLength(ALLOCATIONS);
  expect(rows.map((r) => r.id)).toEqual([...ids].sort());
  const cents = (value: string) => Math.round(Number(value) * 100);
  expect(cents(await balanceOf()) - cents(before)).toBe(ALLOCATIONS);
});
