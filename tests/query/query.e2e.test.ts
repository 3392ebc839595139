import { DISTRICTS } from '@zigong/reference';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  csvField,
  displayWidth,
  flattenResult,
  parseQueryArguments,
  readOperationFile,
  toCsv,
  toTextTable,
  variablesFor,
} from '../../infra/local/src/query';
import { startPlatform, type TestPlatform } from '../support/platform';

const REPO = join(__dirname, '../..');
const CLI = join(REPO, 'infra/local/dist/query.js');
const OPERATIONS = join(REPO, 'schema/operations');

/** An RFC 4180 reader, written independently of the writer under test. */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field), records.push(record), (record = []), (field = ''), i++;
    } else field += c;
  }
  if (field || record.length) throw new Error(`CSV does not end with CRLF: ${JSON.stringify(text.slice(-20))}`);
  return records;
}

/** Exact sum of Decimal strings, in cents. */
const cents = (decimal: string) => BigInt(decimal.replace('.', ''));

describe('flattening a result into rows', () => {
  it('turns a list of objects into rows and nested objects into dotted columns', () => {
    const table = flattenResult({
      funds: [
        { id: 'f1', name: '产业发展资金', coordinatedBy: { id: 'tf-1', name: '自贡市集体经济专班' }, balance: '1200000.00' },
        { id: 'f2', name: '衔接资金', coordinatedBy: null, balance: '0.50' },
      ],
    });
    expect(table).toEqual({
      columns: ['id', 'name', 'coordinatedBy.id', 'coordinatedBy.name', 'balance'],
      rows: [
        ['f1', '产业发展资金', 'tf-1', '自贡市集体经济专班', '1200000.00'],
        ['f2', '衔接资金', '', '', '0.50'],
      ],
    });
  });

  it('unwraps a connection to its nodes and repeats the context (region, totalCount, pageInfo) on each row', () => {
    const table = flattenResult({
      region: {
        id: '510302000000',
        name: '自流井区',
        villages: {
          totalCount: 117,
          pageInfo: { hasNextPage: true, endCursor: 'YWZ0ZXI6Mg==' },
          edges: [
            { cursor: 'a', node: { id: '510302101201', name: '干塘村', town: { name: '荣边镇' } } },
            { cursor: 'b', node: { id: '510302102201', name: '草堂村', town: { name: '飞龙峡镇' } } },
          ],
        },
      },
    });
    expect(table.columns).toEqual([
      'region.id',
      'region.name',
      'region.villages.totalCount',
      'region.villages.pageInfo.hasNextPage',
      'region.villages.pageInfo.endCursor',
      'id',
      'name',
      'town.name',
    ]);
    expect(table.rows).toEqual([
      ['510302000000', '自流井区', '117', 'true', 'YWZ0ZXI6Mg==', '510302101201', '干塘村', '荣边镇'],
      ['510302000000', '自流井区', '117', 'true', 'YWZ0ZXI6Mg==', '510302102201', '草堂村', '飞龙峡镇'],
    ]);
  });

  it('stacks same-shaped root lists (districts and counties) and names each row’s list', () => {
    const region = (id: string, name: string, total: string, growthRate: number | null) => ({ id, name, collectiveIncomeSummary: { total, growthRate } });
    const table = flattenResult({
      districts: [region('510302000000', '自流井区', '25000000.10', 0.12), region('510303000000', '贡井区', '24000000.00', null)],
      counties: [region('510321000000', '荣县', '40000000.01', 0.2)],
    });
    expect(table.columns).toEqual(['@list', 'id', 'name', 'collectiveIncomeSummary.total', 'collectiveIncomeSummary.growthRate']);
    expect(table.rows.map((row) => [row[0], row[2], row[3], row[4]])).toEqual([
      ['districts', '自流井区', '25000000.10', '0.12'],
      ['districts', '贡井区', '24000000.00', ''],
      ['counties', '荣县', '40000000.01', '0.2'],
    ]);
  });

  it('takes the largest list as the row source when lists differ, and writes the others as JSON', () => {
    const table = flattenResult({
      village: {
        name: '干塘村',
        partyBranch: { officers: [{ name: '张中琴', role: 'DEPUTY_SECRETARY' }] },
        fundAllocations: [
          { id: 'a1', amount: '800000.00' },
          { id: 'a2', amount: '50000.00' },
        ],
      },
    });
    expect(table.columns).toEqual(['village.name', 'village.partyBranch.officers', 'id', 'amount']);
    expect(table.rows).toEqual([
      ['干塘村', '[{"name":"张中琴","role":"DEPUTY_SECRETARY"}]', 'a1', '800000.00'],
      ['干塘村', '[{"name":"张中琴","role":"DEPUTY_SECRETARY"}]', 'a2', '50000.00'],
    ]);
  });

  it('expands one nested list into rows, keeps a parent with an empty list, and never multiplies side-by-side lists', () => {
    const funds = flattenResult({
      funds: [
        { id: 'f1', allocations: [{ amount: '1.00', village: { name: '干塘村' } }, { amount: '2.00', village: { name: '草堂村' } }] },
        { id: 'f2', allocations: [] },
      ],
    });
    expect(funds).toEqual({
      columns: ['id', 'allocations.amount', 'allocations.village.name'],
      rows: [
        ['f1', '1.00', '干塘村'],
        ['f1', '2.00', '草堂村'],
        ['f2', '', ''],
      ],
    });
    const taskForces = flattenResult({
      taskForces: [{ id: 'tf-510311000000', focusAreas: ['TALENT', 'INDUSTRY'], members: [{ name: '李' }], workingGroups: [{ name: '政策研究组' }, { name: '项目管理组' }] }],
    });
    expect(taskForces.rows).toEqual([['tf-510311000000', '["TALENT","INDUSTRY"]', '[{"name":"李"}]', '[{"name":"政策研究组"},{"name":"项目管理组"}]']]);
  });

  it('gives one row for a result without lists, and no rows for no data', () => {
    expect(flattenResult({ city: { name: '自贡市' }, summary: { total: '153962418.36', growthRate: 0.1296 } })).toEqual({
      columns: ['city.name', 'summary.total', 'summary.growthRate'],
      rows: [['自贡市', '153962418.36', '0.1296']],
    });
    expect(flattenResult(null)).toEqual({ columns: [], rows: [] });
    expect(flattenResult({ region: null })).toEqual({ columns: ['region'], rows: [['']] });
  });
});

describe('CSV and table output', () => {
  it('quotes commas, quotes and line breaks as RFC 4180 says, and leaves Chinese text as it is', () => {
    expect(['plain', '自贡市', 'a,b', 'say "hi"', 'two\nlines', 'cr\r', ''].map(csvField)).toEqual([
      'plain',
      '自贡市',
      '"a,b"',
      '"say ""hi"""',
      '"two\nlines"',
      '"cr\r"',
      '',
    ]);
    const table = { columns: ['name', 'note'], rows: [['干塘村', '蛋, "鸡"\n李子'], ['草堂村', '']] };
    const csv = toCsv(table);
    expect(csv).toBe('name,note\r\n干塘村,"蛋, ""鸡""\n李子"\r\n草堂村,\r\n');
    expect(readCsv(csv)).toEqual([table.columns, ...table.rows]);
    expect(Buffer.from(csv, 'utf8').includes(Buffer.from('干塘村', 'utf8'))).toBe(true);
  });

  it('aligns the table by display width, two columns per Chinese character, numbers to the right', () => {
    expect([displayWidth('abc'), displayWidth('自贡市'), displayWidth('荣县 1'), displayWidth('，')]).toEqual([3, 6, 6, 2]);
    const text = toTextTable({ columns: ['name', 'total'], rows: [['自流井区', '25000000.10'], ['荣县', '9.00']] });
    expect(text).toBe(['name            total', '--------  -----------', '自流井区  25000000.10', '荣县             9.00', '(2 rows)', ''].join('\n'));
  });
});

describe('the command line', () => {
  it('reads flags and refuses wrong ones with a clear message', () => {
    expect(parseQueryArguments(['q.graphql'])).toEqual({ file: 'q.graphql', variables: {}, format: 'json', token: undefined, url: 'http://127.0.0.1:4000/graphql' });
    expect(parseQueryArguments(['q.graphql', '--format', 'csv', '--variables', '{"year":2023}', '--token', 'Bearer abc', '--url', 'https://api.example/graphql'])).toEqual({
      file: 'q.graphql',
      variables: { year: 2023 },
      format: 'csv',
      token: 'abc',
      url: 'https://api.example/graphql',
    });
    expect(parseQueryArguments(['--help'])).toBe('help');
    for (const [argv, message] of [
      [[], /name the operation file/],
      [['a.graphql', 'b.graphql'], /one operation file at a time/],
      [['q.graphql', '--format', 'xml'], /--format must be one of json, csv, table/],
      [['q.graphql', '--variables', '{year: 1}'], /--variables is not valid JSON/],
      [['q.graphql', '--variables', '[1]'], /--variables must be a JSON object/],
      [['q.graphql', '--url', 'ftp://x'], /--url must be http/],
      [['q.graphql', '--colour'], /Unknown option '--colour'/],
    ] as const) {
      expect(() => parseQueryArguments([...argv])).toThrow(expect.objectContaining({ code: 'QUERY_USAGE', message: expect.stringMatching(message) }));
    }
  });

  it('reads the one operation of a file with its default variables, and refuses unknown variables', () => {
    const operation = readOperationFile('DistrictIncomeRanking.graphql', () => 'query Q($year: Int! = 2024, $id: ID) { region(id: $id) { name } }');
    expect(operation).toMatchObject({ operationName: 'Q', variables: { year: 2024, id: undefined } });
    expect(variablesFor(operation, { year: 2023 }, 'q.graphql')).toEqual({ year: 2023 });
    expect(() => variablesFor(operation, { yaer: 2023 }, 'q.graphql')).toThrow(/q\.graphql declares no variable \$yaer; it takes \$year, \$id/);
    expect(() => readOperationFile('two.graphql', () => 'query A { funds { id } } query B { funds { id } }')).toThrow(/holds 2 operations/);
    expect(() => readOperationFile('bad.graphql', () => 'query {')).toThrow(/bad\.graphql is not a GraphQL document: Syntax Error/);
    expect(() => readOperationFile(join(tmpdir(), 'no-such-question.graphql'))).toThrow(/cannot read .*no-such-question\.graphql: ENOENT/);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(...args: string[]): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built; run \`npx tsc -p infra/local/tsconfig.json\` (or \`npm run build\`) first.`);
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
      '@list',
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
