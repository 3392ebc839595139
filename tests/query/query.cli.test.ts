import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseQueryArguments, readOperationFile, USAGE, variablesFor } from '../../packages/cli/src/query.cli';

/** Unit tier: the command line's arguments and operation files, without a gateway or a build. */
describe('the command line', () => {
  it('reads flags and refuses wrong ones with a clear message', () => {
    expect(parseQueryArguments(['q.graphql'])).toEqual({ file: 'q.graphql', variables: {}, format: 'json', bom: false, token: undefined, url: 'http://127.0.0.1:4000/graphql' });
    expect(parseQueryArguments(['q.graphql', '--format', 'csv', '--variables', '{"year":2023}', '--token', 'Bearer abc', '--url', 'https://api.example/graphql'])).toEqual({
      file: 'q.graphql',
      variables: { year: 2023 },
      format: 'csv',
      bom: false,
      token: 'abc',
      url: 'https://api.example/graphql',
    });
    expect(parseQueryArguments(['q.graphql', '--format', 'csv', '--bom'])).toMatchObject({ format: 'csv', bom: true });
    expect(parseQueryArguments(['--help'])).toBe('help');
    expect(USAGE).toMatch(/--bom +with --format csv: .*byte order mark/);
    for (const [argv, message] of [
      [[], /name the operation file/],
      [['a.graphql', 'b.graphql'], /one operation file at a time/],
      [['q.graphql', '--format', 'xml'], /--format must be one of json, csv, table/],
      [['q.graphql', '--variables', '{year: 1}'], /--variables is not valid JSON/],
      [['q.graphql', '--variables', '[1]'], /--variables must be a JSON object/],
      [['q.graphql', '--url', 'ftp://x'], /--url must be http/],
      [['q.graphql', '--colour'], /Unknown option '--colour'/],
      [['q.graphql', '--bom'], /--bom goes with --format csv/],
      [['q.graphql', '--bom', '--format', 'table'], /--bom goes with --format csv/],
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
