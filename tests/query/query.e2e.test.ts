import { DISTRICTS, GANTANG } from '@zigong/reference-data';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOSTILE_CELLS, readCsv, startsFormula } from './read-csv';
import { startPlatform, type TestPlatform } from '../support/platform';

const REPO = join(__dirname, '../..');
const CLI = join(REPO, 'packages/cli/dist/query.js');
const OPERATIONS = join(REPO, 'schema/operations');

/** Exact sum of Decimal strings, in cents. */
const cents = (decimal: string) => BigInt(decimal.replace('.', ''));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(...args: string[]): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built; run \`npx tsc -p packages/cli/tsconfig.json\` (or \`npm run build\`) first.`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

describe('the compiled command against a running platform', () => {
  let platform: TestPlatform;
  let work: string;
  beforeAll(async () => {
    platform = await startPlatform();
    work = mkdtempSync(join(tmpdir(), 'query-test-'));
  }, 120_000);
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await platform?.stop();
  });

  it('prints DistrictIncomeRanking as CSV: a header and one row per district and county, figures exact', async () => {
    const run = await runCli(join(OPERATIONS, 'DistrictIncomeRanking.graphql'), '--format', 'csv', '--url', platform.gatewayUrl);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [header, ...rows] = readCsv(run.stdout);
    expect(header).toEqual([
      "'@list",
      'id',
      'name',
      'level',
      'collectiveIncomeSummary.villageCount',
      'collectiveIncomeSummary.total',
      'collectiveIncomeSummary.averagePerVillage',
      'collectiveIncomeSummary.growthRate',
    ]);
    expect(rows).toHaveLength(6);
    expect(rows.map((row) => [row[0], row[1], row[2], row[3]])).toEqual(
      DISTRICTS.map((d) => [d.level === 'DISTRICT' ? 'districts' : 'counties', d.code, d.name, d.level]),
    );
    for (const row of rows) expect(row[5]).toMatch(/^\d+\.\d{2}$/);
    // The six parts add up, to the cent, to the city's F5 total.
    expect(rows.reduce((sum, row) => sum + cents(row[5]), 0n)).toBe(cents('153962418.36'));
    expect(rows.reduce((sum, row) => sum + Number(row[4]), 0)).toBe(703);
  });

  it('escapes formula cells a department writer planted through mutations, in the CSV for Excel (--bom)', async () => {
    const authorization = `Bearer ${await platform.token('finance:write')}`;
    const fund = await platform.query<any>(
      `mutation($input: CreateFundInput!) { createFund(input: $input) { id } }`,
      { input: { name: HOSTILE_CELLS[0], sourceDepartment: HOSTILE_CELLS[1], totalAmount: '1000.00' } },
      { authorization },
    );
    expect(fund.errors).toBeUndefined();
    for (const purpose of HOSTILE_CELLS) {
      const allocation = await platform.query(
        `mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id } }`,
        { input: { fundId: fund.data!.createFund.id, villageId: GANTANG, amount: '1.00', purpose } },
        { authorization },
      );
      expect(allocation.errors).toBeUndefined();
    }
    // As the department stored them (it trims surrounding white space, so `\t=1` is kept as `=1`): each still opens a formula.
    const stored = (await platform.query<any>(`query($id: ID!) { fund(id: $id) { allocations { purpose } } }`, { id: fund.data!.createFund.id })).data!.fund.allocations.map(
      (allocation: { purpose: string }) => allocation.purpose,
    );
    expect(stored).toHaveLength(HOSTILE_CELLS.length);
    expect(stored.filter(startsFormula)).toEqual(stored);
    const run = await runCli(join(OPERATIONS, 'FundsAndAllocations.graphql'), '--format', 'csv', '--bom', '--url', platform.gatewayUrl);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('\uFEFF')).toBe(true);
    const [header, ...rows] = readCsv(run.stdout.slice(1));
    const column = (name: string) => header.indexOf(name);
    const planted = rows.filter((row) => row[column('name')] === `'${HOSTILE_CELLS[0]}`);
    expect(planted.map((row) => row[column('allocations.purpose')]).sort()).toEqual(stored.map((cell: string) => `'${cell}`).sort());
    expect(planted.every((row) => row[column('sourceDepartment')] === `'${HOSTILE_CELLS[1]}`)).toBe(true);
    // No cell of the whole export, header included, opens a formula; the amounts stay numbers.
    expect([header, ...rows].flat().filter(startsFormula)).toEqual([]);
    expect(planted.map((row) => row[column('allocations.amount')])).toEqual(HOSTILE_CELLS.map(() => '1.00'));
  });

  it('prints CityIncomeSummary as JSON with its default variables, and as a table with --variables', async () => {
    const json = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--url', platform.gatewayUrl);
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout);
    expect(data).toEqual({
      city: { id: '510300000000', name: '自贡市' },
      summary: { year: 2024, villageCount: 703, total: '153962418.36', averagePerVillage: '219007.71', growthRate: expect.any(Number) },
    });
    expect(data.summary.growthRate.toFixed(4)).toBe('0.1296');
    expect(json.stdout).toContain('\n  "summary": {');
    const table = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--format', 'table', '--variables', '{"year": 2023}', '--url', platform.gatewayUrl);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0].trim().split(/\s{2,}/)).toEqual(['city.id', 'city.name', 'summary.year', 'summary.villageCount', 'summary.total', 'summary.averagePerVillage', 'summary.growthRate']);
    expect(lines[2]).toMatch(/^510300000000\s+自贡市\s+2023\s+703\s+\d+\.\d{2}\s+\d+\.\d{2}\s*$/);
    expect(lines[3]).toBe('(1 row)');
  });

  it('sends --token as a bearer token: a bad one is refused (exit 1, UNAUTHENTICATED on stderr)', async () => {
    const run = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--token', 'not-a-jwt', '--url', platform.gatewayUrl);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^query: error \[UNAUTHENTICATED\]: /);
    const good = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--token', await platform.token('organization:read'), '--url', platform.gatewayUrl);
    expect(good.code).toBe(0);
  });

  it('reports GraphQL errors on stderr with exit 1', async () => {
    const file = join(work, 'Broken.graphql');
    writeFileSync(file, 'query Broken { regions(level: DISTRICT) { id population } }\n');
    const run = await runCli(file, '--format', 'csv', '--url', platform.gatewayUrl);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^query: error \[GRAPHQL_VALIDATION_FAILED\]: Cannot query field "population" on type "Region"/);
  });

  it('refuses a variable the file does not declare, before sending anything (exit 2)', async () => {
    const run = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--variables', '{"yr": 2023}', '--url', platform.gatewayUrl);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^query: .*CityIncomeSummary\.graphql declares no variable \$yr; it takes \$cityId, \$year\.\n$/);
  });
});

describe('the compiled command against odd gateways', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string };
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('prints partial data and still fails (exit 1) when the answer carries errors', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        data: { village: { name: '干塘村', tourismAlliances: null } },
        errors: [{ message: 'The tourism subgraph did not answer.', path: ['village', 'tourismAlliances'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'tourism' } }],
      }),
    };
    const run = await runCli(join(OPERATIONS, 'GantangAcrossDepartments.graphql'), '--format', 'csv', '--url', url);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('village.name,village.tourismAlliances\r\n干塘村,\r\n');
    expect(run.stderr).toBe('query: error [SUBGRAPH_UNAVAILABLE] at village.tourismAlliances (subgraph tourism): The tourism subgraph did not answer.\n');
  });

  it('starts the CSV with a UTF-8 byte order mark with --bom, and refuses --bom for other formats', async () => {
    answer = { status: 200, body: JSON.stringify({ data: { village: { name: '干塘村', tourismAlliances: null } } }) };
    const run = await runCli(join(OPERATIONS, 'GantangAcrossDepartments.graphql'), '--format', 'csv', '--bom', '--url', url);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toBe('\uFEFFvillage.name,village.tourismAlliances\r\n干塘村,\r\n');
    const json = await runCli(join(OPERATIONS, 'GantangAcrossDepartments.graphql'), '--bom', '--url', url);
    expect([json.code, json.stdout]).toEqual([2, '']);
    expect(json.stderr).toMatch(/^query: --bom goes with --format csv/);
  });

  it('says so when the answer is not JSON', async () => {
    answer = { status: 502, body: '<html>Bad Gateway</html>' };
    const run = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--url', url);
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr).toMatch(/answered 502 Bad Gateway without JSON: <html>Bad Gateway<\/html>/);
  });

  it('says the gateway cannot be reached (exit 1) when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--url', `http://127.0.0.1:${port}/graphql`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`query: cannot reach the gateway at http://127.0.0.1:${port}/graphql (ECONNREFUSED). Is it running? Start it with \`npm start\`, or pass --url.\n`);
  });

  it('fails with exit 2 for a file that does not exist, and with the usage for a wrong flag', async () => {
    const missing = await runCli(join(OPERATIONS, 'NoSuchQuestion.graphql'), '--url', url);
    expect([missing.code, missing.stdout]).toEqual([2, '']);
    expect(missing.stderr).toMatch(/^query: cannot read .*NoSuchQuestion\.graphql: ENOENT\.\n$/);
    const flag = await runCli(join(OPERATIONS, 'CityIncomeSummary.graphql'), '--format', 'xlsx');
    expect([flag.code, flag.stdout]).toEqual([2, '']);
    expect(flag.stderr).toMatch(/^query: --format must be one of json, csv, table; got "xlsx"\.\n\nUsage: npm run query -- <file\.graphql>/);
  });
});
