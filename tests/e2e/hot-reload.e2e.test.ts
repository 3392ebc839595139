import { composeRegistry, readRegistry } from '@zigong/cli';
import { GANTANG } from '@zigong/reference-data';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
let dir: string;
let file: string;
let full: string;

/** Replaces the file at once (write then rename), as a deploy or a ConfigMap update does. */
const replace = (content: string) => {
  writeFileSync(`${file}.next`, content);
  renameSync(`${file}.next`, file);
};
const readyHash = async () => (await (await fetch(new URL('/ready', platform.gatewayUrl))).json()).supergraph as string;
const until = async (condition: () => Promise<boolean>, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((done) => setTimeout(done, 50));
  }
  return false;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zigong-supergraph-'));
  file = join(dir, 'supergraph.graphql');
  const registry = readRegistry();
  full = (await composeRegistry(registry)).supergraphSdl;
  writeFileSync(file, (await composeRegistry(registry.filter((r) => r.name !== 'tourism'))).supergraphSdl);
  platform = await startPlatform({ supergraphFile: file, gatewayEnv: { SUPERGRAPH_POLL_MS: '50' } });
});
afterAll(async () => {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('hot reload of the supergraph', () => {
  it('swaps in a new supergraph under load without failing a request, and refuses a broken one', async () => {
    const tourism = `{ tourismAlliances(regionId: "510302000000") { name } }`;
    expect((await platform.query(tourism)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const before = await readyHash();

    let running = true;
    const failures: string[] = [];
    let served = 0;
    const client = async () => {
      while (running) {
        const response = await platform.query<any>(`query($id: ID!) { village(id: $id) { name industrialParks { name } collectiveIncome(year: 2024) { amount } } }`, { id: GANTANG });
        served++;
        if (response.status !== 200 || response.errors || response.data?.village?.name !== '干塘村') failures.push(JSON.stringify(response).slice(0, 200));
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((done) => setTimeout(done, 300));
    replace(full);
    expect(await until(async () => (await readyHash()) !== before)).toBe(true);
    await new Promise((done) => setTimeout(done, 500));
    running = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(10);

    const { data, errors } = await platform.query<any>(tourism);
    expect(errors).toBeUndefined();
    expect(data.tourismAlliances.map((a: any) => a.name)).toContain('飞龙峡文旅联盟');

    const swapped = await readyHash();
    replace('this is not a supergraph');
    await new Promise((done) => setTimeout(done, 500));
    replace(full.replace('join__Graph', 'join__Broken'));
    await new Promise((done) => setTimeout(done, 500));
    expect(await readyHash()).toBe(swapped);
    expect((await platform.query<any>(tourism)).data?.tourismAlliances.length).toBeGreaterThan(0);
  });
});
