import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GANTANG } from '@zigong/reference-data';
import { snapshotDepartments, type DatabaseSnapshot } from '../support/db-snapshot';
import { startExtraGateway, type ExtraGateway } from '../support/extra-gateway';
import { collectGarbage } from '../support/heap';
import { SIGNING_SECRET, startPlatform, type TestPlatform } from '../support/platform';
import { HOSTILE_CORPUS, type HostileCase } from './hostile-corpus';
import { type CorpusTargets, sendHostileCase } from './hostile-send';

const execFileAsync = promisify(execFile);

/** Every hostile request is answered within this, however large or odd. */
const ANSWER_WITHIN_MS = 5_000;
/** What an answer must never show a client: stack frames, file paths, dependency names. */
const LEAK = /\n\s+at .+:\d+:\d+|node_modules|\/work\/|\.ts:\d+|stacktrace|ECONNREFUSED|QueryFailedError|relation "/i;

let platform: TestPlatform;
let production: ExtraGateway;
let targets: CorpusTargets;
let before: DatabaseSnapshot;

beforeAll(async () => {
  platform = await startPlatform();
  const subgraphs = Object.fromEntries(platform.subgraphs.map((s) => [s.name, s.url]));
  production = await startExtraGateway(subgraphs, { GATEWAY_MODE: 'production' });
  targets = {
    gateways: {
      gateway: { url: platform.gatewayUrl, token: (scope, options) => platform.token(scope, options) },
      production: { url: production.url, token: (scope, options) => production.token(scope, options) },
    },
    subgraphs,
    signingSecret: SIGNING_SECRET,
  };
  before = await snapshotDepartments(platform.database.url);
});
afterAll(async () => {
  await production?.stop();
  await platform?.stop();
});

const label = ({ target, name, expect: { status, code } }: HostileCase) => `${target}: ${name} → ${status} ${code ?? 'without errors'}`;

describe('the hostile-input corpus', () => {
  it('has at least 60 cases, each named once', () => {
    expect(HOSTILE_CORPUS.length).toBeGreaterThanOrEqual(60);
    const names = HOSTILE_CORPUS.map((c) => `${c.target}: ${c.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  for (const hostile of HOSTILE_CORPUS) {
    // A case with a known bug stays in the corpus and is expected to fail until the bug is fixed.
    (hostile.bug ? it.failing : it)(label(hostile), async () => {
      const response = await sendHostileCase(hostile, targets);
      const code = response.json?.errors?.[0]?.extensions?.code ?? null;
      expect({ status: response.status, code }).toEqual({ status: hostile.expect.status, code: hostile.expect.code });
      if (hostile.expect.data !== undefined) expect(response.json?.data).toEqual(hostile.expect.data);
      if (hostile.expect.code !== null) {
        expect(response.headers['content-type']).toMatch(/^application\/(graphql-response\+)?json/);
        expect(response.json?.errors?.[0]?.message).toEqual(expect.any(String));
      }
      expect(response.text).not.toMatch(LEAK);
      expect(response.durationMs).toBeLessThan(ANSWER_WITHIN_MS);
    });
  }
});

describe('after the corpus', () => {
  it('still answers a normal query across every department, in both modes, its prototypes unpolluted', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const query = `query($id: ID!) { village(id: $id) {
      name district { name } industrialParks { name } collectiveIncome(year: 2024) { year } tourismAlliances { name }
    } }`;
    const local = await platform.query(query, { id: GANTANG });
    expect(local.errors).toBeUndefined();
    expect(local.data!.village).toMatchObject({ name: '干塘村', district: { name: '自流井区' }, collectiveIncome: { year: 2024 } });
    expect(local.data!.village.industrialParks.length).toBeGreaterThan(0);
    const response = await fetch(production.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await production.token('')}` },
      body: JSON.stringify({ query, variables: { id: GANTANG } }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown }).data).toEqual(local.data);
  });

  it('keeps its memory bounded: two more passes of the corpus leave the heap where a warm-up pass left it', async () => {
    // The known-bug cases are left out: one of them spends seconds of CPU by design, and they are tested above.
    const corpus = HOSTILE_CORPUS.filter((hostile) => !hostile.bug);
    const heapAfter = async (passes: number) => {
      for (let pass = 0; pass < passes; pass++) {
        for (const hostile of corpus) await sendHostileCase(hostile, targets);
      }
      return collectGarbage();
    };
    // The first pass warms caches (parsed documents, query plans, compiled code) that are then kept on purpose.
    const first = await heapAfter(1);
    const rssFirst = process.memoryUsage().rss;
    const third = await heapAfter(2);
    const rssThird = process.memoryUsage().rss;
    console.info(`hostile corpus: heap ${first} -> ${third}, rss ${rssFirst} -> ${rssThird}`);
    // Measured: under 1 MB of drift over two passes (about 280 requests, 25 MB of bodies). Keeping each pass's
    // request bodies alive adds 8 MB; 4 MB is about 15 KB held per request.
    expect(third - first).toBeLessThan(4 * 1024 * 1024);
    expect(rssThird - rssFirst).toBeLessThan(64 * 1024 * 1024);
  });

  it('gets every refused upload its 413 across processes: 10 MB bodies, declared and streamed, to the gateway and a subgraph', async () => {
    // Before the lingering close, 4 of the first 15 answers were lost to the kernel's reset (EPIPE, no status).
    const uploads = async (url: string, mode: 'declared' | 'streamed') => {
      const { stdout } = await execFileAsync(process.execPath, [join(__dirname, 'upload-client.mjs'), url, '15', mode]);
      return stdout.trim().split('\n');
    };
    expect(await uploads(platform.gatewayUrl, 'declared')).toEqual(Array(15).fill('413'));
    expect(await uploads(targets.subgraphs.tourism, 'streamed')).toEqual(Array(15).fill('413'));
  });

  it('wrote nothing: every table of every department hashes as it did before', async () => {
    expect(await snapshotDepartments(platform.database.url)).toEqual(before);
  });
});
