/**
 * The hostile-input corpus: requests a careless or malicious client may send, each with the HTTP
 * status and `extensions.code` the platform answers with. Data only: `hostile-input.e2e.test.ts`
 * sends every case and checks the answer, then checks that nothing was written and the gateway
 * still serves normal queries. `code: null` means an answer without errors.
 */

export type Target =
  /** The gateway as `npm start` runs it (GATEWAY_MODE=local: anonymous reads, introspection on). */
  | 'gateway'
  /** A gateway with GATEWAY_MODE=production over the same subgraphs: tokens required, no introspection. */
  | 'production'
  /** A subgraph directly, bypassing the gateway. */
  | 'subgraph';

export type Department = 'organization' | 'agriculture' | 'finance' | 'tourism';

export interface HostileRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Default `/graphql`. */
  path?: string;
  /** URL query parameters (GET requests). */
  search?: Record<string, string>;
  /** Default `application/json`; null sends no content type at all. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Serialised with JSON.stringify. */
  json?: unknown;
  /** Sent byte for byte; a function builds large bodies only when the case runs. */
  raw?: string | Buffer | (() => string | Buffer);
  /** A body of this many bytes sent chunked, without a content-length. */
  streamBytes?: number;
  /** A bearer token minted with the target gateway's secret; `expiresIn` 1 is 1970, expired. */
  token?: { scope: string; expiresIn?: number };
  /** A literal Authorization header. */
  authorization?: string;
  /** Subgraph target: which one (default organization) and how the request is signed (default not at all). */
  subgraph?: Department;
  sign?: 'valid' | 'wrong-secret' | 'stale' | 'malformed';
}

export interface HostileCase {
  name: string;
  target: Target;
  request: HostileRequest;
  expect: {
    status: number;
    /** `extensions.code` of the first error; null when the answer has no errors. */
    code: string | null;
    /** When given, `data` must equal it exactly. */
    data?: unknown;
  };
  /** Set where the platform answers wrongly today: the bug, and what it should answer instead. */
  bug?: string;
}

const gql = (query: string, variables?: Record<string, unknown>, extra: Record<string, unknown> = {}): HostileRequest => ({
  json: { query, variables, ...extra },
});
const withToken = (request: HostileRequest, scope = WRITE_ALL): HostileRequest => ({ ...request, token: { scope } });

/** Every write scope: a request refused with this token is refused by validation, not by authorisation. */
const WRITE_ALL = 'organization:write agriculture:write finance:write tourism:write';
const GANTANG = '510302101201';
const FUND = 'fund-2024-city-1';

const deep = (levels: number) => {
  let selection = 'id';
  for (let i = 0; i < levels; i++) selection = `parent { ${selection} }`;
  return `{ region(id: "510302101000") { ${selection} } }`;
};
/** Three tokens an alias, so 10,000 of them stay under the token limit and meet the alias limit. */
const aliases = (count: number) => `{ regions(level: CITY) { ${Array.from({ length: count }, (_, i) => `a${i}: id`).join(' ')} } }`;
/** Introspection nested `levels` times through fields → type: every level multiplies the answer. */
const introspectionBomb = (levels: number) => {
  let selection = 'name';
  for (let i = 0; i < levels; i++) selection = `name fields { name type { ${selection} } }`;
  return `{ __schema { types { ${selection} } } }`;
};
const ALLOCATE = 'mutation($input: AllocateFundInput!) { allocateFund(input: $input) { id } }';
const allocation = (override: Record<string, unknown>) => ({ input: { fundId: FUND, villageId: GANTANG, amount: '1.00', purpose: '可靠性测试', ...override } });
const literalAmount = (amount: string) =>
  `mutation { allocateFund(input: { fundId: "${FUND}", villageId: "${GANTANG}", amount: ${amount}, purpose: "x" }) { id } }`;
/** A JSON array nested `levels` deep, as text: too deep for JSON.stringify's recursion in some stacks. */
const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
/** Bytes that are not UTF-8 (a lone continuation byte, an overlong encoding, 0xFF) inside a JSON body. */
const invalidUtf8 = (before: string, after: string) => Buffer.concat([Buffer.from(before), Buffer.from([0x80, 0xc0, 0xaf, 0xff, 0xfe]), Buffer.from(after)]);

const SQL_DROP = "'; DROP TABLE organization.village; --";
const SQL_OR = "510302' OR '1'='1";
const SCRIPT = '<script>alert(document.cookie)</script>';

export const HOSTILE_CORPUS: HostileCase[] = [
  // --- The body: JSON that does not parse, or parses into the wrong shape ---
  { name: 'truncated JSON', target: 'gateway', request: { raw: '{"query":"{ regions { id } }"' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'JSON cut off inside a string', target: 'gateway', request: { raw: '{"query":"{ regi' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'not JSON at all', target: 'gateway', request: { raw: 'query=%7B+regions+%7B+id+%7D+%7D' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'an empty JSON body', target: 'gateway', request: { raw: '' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'JSON with a byte-order mark', target: 'gateway', request: { raw: '\ufeff{"query":"{ regions { id } }"}' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'JSON null', target: 'gateway', request: { raw: 'null' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'a JSON string', target: 'gateway', request: { json: '{ regions { id } }' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'a JSON number', target: 'gateway', request: { raw: '42' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'no query', target: 'gateway', request: { json: { variables: {} } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'a query that is a number', target: 'gateway', request: { json: { query: 42 } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'variables that are a string', target: 'gateway', request: { json: { query: '{ regions { id } }', variables: 'x' } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'variables that are an array', target: 'gateway', request: { json: { query: '{ regions { id } }', variables: [1] } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'extensions that are a string', target: 'gateway', request: { json: { query: '{ regions { id } }', extensions: 'x' } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'an operationName that is an object', target: 'gateway', request: { json: { query: '{ regions { id } }', operationName: { a: 1 } } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  {
    name: 'a batch of 1,000 operations',
    target: 'gateway',
    request: { json: Array.from({ length: 1000 }, () => ({ query: '{ regions(level: CITY) { id } }' })) },
    expect: { status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'a variable nested 200,000 arrays deep',
    target: 'gateway',
    request: { raw: () => `{"query":"query($id: ID!) { region(id: $id) { id } }","variables":{"id":${nested(200_000)}}}` },
    expect: { status: 400, code: 'BAD_USER_INPUT' },
  },
  {
    name: 'an unused variable nested 200,000 arrays deep',
    target: 'gateway',
    request: { raw: () => `{"query":"{ regions(level: CITY) { id } }","variables":{"x":${nested(200_000)}}}` },
    expect: { status: 200, code: null, data: { regions: [{ id: '510300000000' }] } },
  },

  // --- Content types ---
  { name: 'no content type', target: 'gateway', request: { contentType: null, json: { query: '{ regions(level: CITY) { id } }' } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'text/plain (a CSRF-able simple request)', target: 'gateway', request: { contentType: 'text/plain', json: { query: '{ regions(level: CITY) { id } }' } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  {
    name: 'a form post',
    target: 'gateway',
    request: { contentType: 'application/x-www-form-urlencoded', raw: 'query=%7B+regions+%7B+id+%7D+%7D' },
    expect: { status: 400, code: 'BAD_REQUEST' },
  },
  {
    name: 'multipart/form-data',
    target: 'gateway',
    request: { contentType: 'multipart/form-data; boundary=x', raw: '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ regions { id } }\r\n--x--\r\n' },
    expect: { status: 400, code: 'BAD_REQUEST' },
  },
  { name: 'application/graphql with a bare query', target: 'gateway', request: { contentType: 'application/graphql', raw: '{ regions(level: CITY) { id } }' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'a JSON content type naming another charset', target: 'gateway', request: { contentType: 'application/json; charset=iso-8859-1', json: { query: '{ regions(level: CITY) { id } }' } }, expect: { status: 200, code: null } },
  // Lenient but safe: the kit parses any content type containing "json", and a browser must preflight this one.
  { name: 'a content type that merely contains "json"', target: 'gateway', request: { contentType: 'text/jsonish', json: { query: '{ regions(level: CITY) { id } }' } }, expect: { status: 200, code: null } },
  { name: '"json" only in a text/plain parameter', target: 'gateway', request: { contentType: 'text/plain; profile=json', json: { query: '{ regions(level: CITY) { id } }' } }, expect: { status: 400, code: 'BAD_REQUEST' } },

  // --- Size ---
  { name: 'a 10 MB body', target: 'gateway', request: { raw: () => `{"query":"{ regions { id } }","variables":{"x":"${'a'.repeat(10_000_000)}"}}` }, expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
  { name: 'a 10 MB body streamed without a content-length', target: 'gateway', request: { streamBytes: 10_000_000 }, expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
  { name: 'one byte over the limit', target: 'gateway', request: { raw: () => `{"query":"{ regions(level: CITY) { id } }"}${' '.repeat(1_000_001 - 41)}` }, expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
  {
    name: 'just under the limit, mostly an unused 990 KB variable',
    target: 'gateway',
    request: gql('{ regions(level: CITY) { id } }', { unused: 'x'.repeat(990_000) }),
    expect: { status: 200, code: null, data: { regions: [{ id: '510300000000' }] } },
  },

  // --- Encoding ---
  {
    name: 'invalid UTF-8 inside a string argument',
    target: 'gateway',
    request: { raw: invalidUtf8('{"query":"{ villages(nameContains: \\"', '\\") { totalCount } }"}') },
    expect: { status: 200, code: null, data: { villages: { totalCount: 0 } } },
  },
  { name: 'invalid UTF-8 where a field name belongs', target: 'gateway', request: { raw: invalidUtf8('{"query":"{ ', ' }"}') }, expect: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } },
  { name: 'a NUL character in the query', target: 'gateway', request: gql('{ regions\u0000 { id } }'), expect: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } },
  {
    name: 'a NUL character in a search string',
    target: 'gateway',
    request: gql('query($q: String) { villages(nameContains: $q) { totalCount } }', { q: 'a\u0000b' }),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: null },
  },
  {
    name: 'a NUL character in a fund id',
    target: 'gateway',
    request: gql('query($id: ID!) { fund(id: $id) { id } }', { id: 'fund-2024-city-1\u0000' }),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: { fund: null } },
  },
  {
    name: 'a lone UTF-16 surrogate in a search string',
    target: 'gateway',
    request: { raw: '{"query":"query($q: String) { villages(nameContains: $q) { totalCount } }","variables":{"q":"\\ud800"}}' },
    expect: { status: 200, code: null, data: { villages: { totalCount: 0 } } },
  },

  // --- Methods and paths ---
  { name: 'a GET without a preflight header', target: 'gateway', request: { method: 'GET', contentType: null, search: { query: '{ regions(level: CITY) { id } }' } }, expect: { status: 400, code: 'BAD_REQUEST' } },
  {
    name: 'a mutation over GET',
    target: 'gateway',
    request: {
      method: 'GET',
      contentType: null,
      headers: { 'apollo-require-preflight': 'true' },
      search: { query: `mutation { allocateFund(input: { fundId: "${FUND}", villageId: "${GANTANG}", amount: "1.00", purpose: "x" }) { id } }` },
      token: { scope: 'finance:write' },
    },
    expect: { status: 405, code: 'BAD_REQUEST' },
  },
  { name: 'PUT', target: 'gateway', request: { method: 'PUT', json: { query: '{ regions { id } }' } }, expect: { status: 405, code: 'BAD_REQUEST' } },
  { name: 'DELETE without a content type (stopped as a possible CSRF first)', target: 'gateway', request: { method: 'DELETE', contentType: null }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'DELETE', target: 'gateway', request: { method: 'DELETE', json: { query: '{ regions { id } }' } }, expect: { status: 405, code: 'BAD_REQUEST' } },
  { name: 'an unknown path', target: 'gateway', request: { path: '/graphql/../admin', json: { query: '{ regions { id } }' } }, expect: { status: 404, code: 'NOT_FOUND' } },

  // --- Documents: syntax, shape and demand ---
  { name: 'a syntax error', target: 'gateway', request: gql('{ regions { id }'), expect: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } },
  { name: 'a query 200 levels deep', target: 'gateway', request: gql(deep(200)), expect: { status: 400, code: 'QUERY_TOO_DEEP' } },
  { name: '10,000 aliases', target: 'gateway', request: gql(aliases(10_000)), expect: { status: 400, code: 'TOO_MANY_ALIASES' } },
  { name: '30 root fields', target: 'gateway', request: gql(`{ ${'regions(level: CITY) { id } '.repeat(30)} }`), expect: { status: 400, code: 'TOO_MANY_ROOT_FIELDS' } },
  { name: 'a document of 60,000 tokens', target: 'gateway', request: gql(`{ regions { ${'id '.repeat(60_000)} } }`), expect: { status: 400, code: 'TOO_MANY_TOKENS' } },
  // The check that overlapping fields merge is quadratic: MAX_FIELDS (2,000) refuses it before validation runs.
  { name: '5,000 copies of one field', target: 'gateway', request: gql(`{ regions(level: CITY) { ${'name '.repeat(5_000)} } }`), expect: { status: 400, code: 'TOO_MANY_FIELDS' } },
  {
    name: '500 copies of one field',
    target: 'gateway',
    request: gql(`{ regions(level: CITY) { ${'name '.repeat(500)} } }`),
    expect: { status: 200, code: null, data: { regions: [{ name: '自贡市' }] } },
  },
  {
    name: 'a fragment cycle',
    target: 'gateway',
    request: gql('{ region(id: "510302101000") { ...A } } fragment A on Region { parent { ...B } } fragment B on Region { parent { ...A } }'),
    expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' },
  },
  { name: 'a fragment spreading itself', target: 'gateway', request: gql('{ regions { ...A } } fragment A on Region { id ...A }'), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  {
    name: 'fragments fanning out 10 × 10 × 10 times',
    target: 'gateway',
    request: gql(
      `{ regions(level: CITY) { ...F1 } } fragment F1 on Region { ${'...F2 '.repeat(10)} } fragment F2 on Region { ${'...F3 '.repeat(10)} } fragment F3 on Region { ${'id '.repeat(10)} }`,
    ),
    expect: { status: 200, code: null, data: { regions: [{ id: '510300000000' }] } },
  },
  {
    // About 130 tokens whose paths through the fragments number 10⁸: measured once per fragment, refused at once.
    name: 'fragments fanning out 10 times a level, nine levels deep',
    target: 'gateway',
    request: gql(
      `{ regions(level: CITY) { ...F0 } } ${Array.from({ length: 9 }, (_, i) => (i === 8 ? 'fragment F8 on Region { id }' : `fragment F${i} on Region { ${`...F${i + 1} `.repeat(10)} }`)).join(' ')}`,
    ),
    expect: { status: 400, code: 'TOO_MANY_FIELDS' },
  },
  { name: 'a flood of 5,000 @skip directives', target: 'gateway', request: gql(`{ regions(level: CITY) { id ${'@skip(if: false) '.repeat(5_000)} } }`), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  { name: 'a flood of 20,000 unknown directives', target: 'gateway', request: gql(`{ regions(level: CITY) { id ${'@x '.repeat(20_000)} } }`), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  { name: 'an unknown field', target: 'gateway', request: gql('{ dropEverything }'), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  { name: 'an unknown operation name', target: 'gateway', request: gql('query A { regions { id } }', undefined, { operationName: 'Nope' }), expect: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' } },
  { name: 'two operations and no operation name', target: 'gateway', request: gql('query A { regions { id } } query B { funds { id } }'), expect: { status: 400, code: 'OPERATION_RESOLUTION_FAILURE' } },
  { name: 'a subscription', target: 'gateway', request: gql('subscription { regions { id } }'), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  {
    name: 'a cost far over the limit',
    target: 'gateway',
    request: gql('{ villages(first: 100) { edges { node { town { children { children { children { villages(first: 100) { totalCount } } } } } } } } }'),
    expect: { status: 400, code: 'QUERY_TOO_COSTLY' },
  },
  { name: 'a page of 1,000,000', target: 'gateway', request: gql('{ villages(first: 1000000) { totalCount } }'), expect: { status: 400, code: 'PAGE_SIZE_TOO_LARGE' } },
  {
    name: '100 aliases inside __schema',
    target: 'gateway',
    request: gql(`{ __schema { ${Array.from({ length: 100 }, (_, i) => `a${i}: types { name fields { name type { name } } }`).join(' ')} } }`),
    expect: { status: 400, code: 'TOO_MANY_ALIASES' },
  },
  // graphql-js’s introspection-depth rule, not demand control (which leaves introspection depth to it), stops this one.
  { name: 'introspection nested through fields and types', target: 'gateway', request: gql(introspectionBomb(6)), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },

  // --- Variables ---
  { name: 'a missing required variable', target: 'gateway', request: gql('query($id: ID!) { region(id: $id) { id } }', {}), expect: { status: 400, code: 'BAD_USER_INPUT' } },
  { name: 'null for a non-null variable', target: 'gateway', request: gql('query($id: ID!) { region(id: $id) { id } }', { id: null }), expect: { status: 400, code: 'BAD_USER_INPUT' } },
  { name: 'an object for an ID', target: 'gateway', request: gql('query($id: ID!) { region(id: $id) { id } }', { id: { $gt: '' } }), expect: { status: 400, code: 'BAD_USER_INPUT' } },
  { name: 'a string for an Int', target: 'gateway', request: gql('query($n: Int) { villages(first: $n) { totalCount } }', { n: 'ten' }), expect: { status: 400, code: 'BAD_USER_INPUT' } },
  // Demand control reads `first` before Int coercion does: a page size beyond 32 bits is first of all too large a page.
  { name: 'a page size beyond 32 bits', target: 'gateway', request: gql('query($n: Int) { villages(first: $n) { totalCount } }', { n: 2 ** 31 }), expect: { status: 400, code: 'PAGE_SIZE_TOO_LARGE' } },
  { name: 'a year beyond 32 bits', target: 'gateway', request: gql('query($y: Int!) { collectiveIncomeSummary(year: $y, regionId: "510300000000") { total } }', { y: 2 ** 31 }), expect: { status: 400, code: 'BAD_USER_INPUT' } },
  { name: 'a negative page size', target: 'gateway', request: gql('query($n: Int) { villages(first: $n) { totalCount } }', { n: -1 }), expect: { status: 200, code: 'BAD_USER_INPUT' } },
  { name: 'an unknown enum value', target: 'gateway', request: gql('query($l: RegionLevel) { regions(level: $l) { id } }', { l: 'PLANET' }), expect: { status: 400, code: 'BAD_USER_INPUT' } },
  {
    name: 'a __proto__ variable',
    target: 'gateway',
    request: { raw: '{"query":"query($l: RegionLevel) { regions(level: $l) { id } }","variables":{"__proto__":{"l":"PLANET"},"constructor":{"prototype":{"polluted":true}}}}' },
    expect: { status: 200, code: null },
  },
  {
    name: 'a 900 KB search string',
    target: 'gateway',
    request: gql('query($q: String) { villages(nameContains: $q) { totalCount } }', { q: 'x'.repeat(900_000) }),
    expect: { status: 200, code: 'BAD_USER_INPUT' },
  },

  // --- SQL and script in every string argument: refused by shape, or matched as plain text ---
  { name: 'SQL in a search string', target: 'gateway', request: gql(`{ villages(nameContains: "${SQL_DROP}") { totalCount } }`), expect: { status: 200, code: null, data: { villages: { totalCount: 0 } } } },
  { name: 'a LIKE wildcard as a search string', target: 'gateway', request: gql('{ villages(nameContains: "%") { totalCount } }'), expect: { status: 200, code: null, data: { villages: { totalCount: 0 } } } },
  { name: 'an underscore wildcard as a search string', target: 'gateway', request: gql('{ villages(nameContains: "_") { totalCount } }'), expect: { status: 200, code: null, data: { villages: { totalCount: 0 } } } },
  { name: 'a trailing backslash as a search string', target: 'gateway', request: gql('{ villages(nameContains: "村\\\\") { totalCount } }'), expect: { status: 200, code: null, data: { villages: { totalCount: 0 } } } },
  { name: 'SQL in a village id', target: 'gateway', request: gql(`{ village(id: "${SQL_OR}") { id } }`), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: { village: null } } },
  { name: 'SQL in a region id', target: 'gateway', request: gql('{ region(id: "510302000000; DROP SCHEMA finance CASCADE") { id } }'), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: { region: null } } },
  { name: 'SQL in a region filter', target: 'gateway', request: gql(`{ villages(regionId: "' OR 1=1 --") { totalCount } }`), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null } },
  { name: 'script in a region filter', target: 'gateway', request: gql(`{ industrialParks(regionId: "${SCRIPT}") { id } }`), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null } },
  { name: 'SQL in a tourism region filter', target: 'gateway', request: gql(`{ tourismAlliances(regionId: "${SQL_OR}") { id } }`), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null } },
  { name: 'SQL in a task-force filter', target: 'gateway', request: gql(`{ taskForces(regionId: "${SQL_OR}") { id } }`), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null } },
  { name: 'SQL in a summary region', target: 'gateway', request: gql(`{ collectiveIncomeSummary(year: 2024, regionId: "${SQL_OR}") { total } }`), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null } },
  { name: 'SQL in a fund id', target: 'gateway', request: gql(`{ fund(id: "${FUND}' OR '1'='1") { id } }`), expect: { status: 200, code: null, data: { fund: null } } },
  { name: 'SQL in a task-force id', target: 'gateway', request: gql(`{ taskForce(id: "tf-510300000000' OR 1=1 --") { id } }`), expect: { status: 200, code: null, data: { taskForce: null } } },
  { name: 'SQL in a park id', target: 'gateway', request: gql(`{ industrialPark(id: "park'; DROP TABLE agriculture.industrial_park; --") { id } }`), expect: { status: 200, code: null, data: { industrialPark: null } } },
  { name: 'script in an alliance id', target: 'gateway', request: gql(`{ tourismAlliance(id: "${SCRIPT}") { id } }`), expect: { status: 200, code: null, data: { tourismAlliance: null } } },
  { name: 'SQL in a cursor', target: 'gateway', request: gql(`{ villages(after: "${SQL_DROP}") { totalCount } }`), expect: { status: 200, code: 'INVALID_CURSOR', data: null } },
  {
    name: 'a cursor of base64-encoded SQL',
    target: 'gateway',
    request: gql(`{ villages(after: "${Buffer.from(`{"name":"${SQL_DROP}","id":"1 OR 1=1"}`).toString('base64url')}") { totalCount } }`),
    expect: { status: 200, code: 'INVALID_CURSOR', data: null },
  },

  // --- Mutations with hostile input: refused, nothing written ---
  { name: 'SQL in a fund id and purpose', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ fundId: "x' OR '1'='1", purpose: "'); DROP TABLE finance.fund; --" }))), expect: { status: 200, code: 'NOT_FOUND', data: null } },
  { name: 'SQL in an allocation’s village id', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ villageId: SQL_OR }))), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null } },
  { name: 'a town as an allocation’s village', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ villageId: '510302101000' }))), expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null } },
  { name: 'an amount of "NaN"', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: 'NaN' }))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'an amount of "Infinity"', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: 'Infinity' }))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'an amount of "-Infinity"', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: '-Infinity' }))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'an amount of "1e400"', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: '1e400' }))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'an amount of 17 integer digits', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: '12345678901234567.00' }))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'an amount with three decimals', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: '0.001' }))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'an amount that is a JSON number', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: 1e308 }))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'a negative amount', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: '-5.00' }))), expect: { status: 200, code: 'BAD_USER_INPUT', data: null } },
  { name: 'a zero amount', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: '0.00' }))), expect: { status: 200, code: 'BAD_USER_INPUT', data: null } },
  { name: 'the largest amount numeric(18,2) holds', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({ amount: '9999999999999999.99' }))), expect: { status: 200, code: 'INSUFFICIENT_FUNDS', data: null } },
  { name: 'NaN as an inline literal', target: 'gateway', request: withToken(gql(literalAmount('NaN'))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: 'Infinity as an inline literal', target: 'gateway', request: withToken(gql(literalAmount('Infinity'))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  { name: '-1e400 as an inline literal', target: 'gateway', request: withToken(gql(literalAmount('-1e400'))), expect: { status: 400, code: 'INVALID_DECIMAL' } },
  {
    name: 'a fund total below zero',
    target: 'gateway',
    request: withToken(gql('mutation($input: CreateFundInput!) { createFund(input: $input) { id } }', { input: { name: '恶意', sourceDepartment: '市财政局', totalAmount: '-1.00' } })),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: null },
  },
  {
    name: 'a fund name of 10,000 characters',
    target: 'gateway',
    request: withToken(gql('mutation($input: CreateFundInput!) { createFund(input: $input) { id } }', { input: { name: '名'.repeat(10_000), sourceDepartment: '市财政局', totalAmount: '1.00' } })),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: null },
  },
  {
    name: 'SQL as an alliance’s lead village',
    target: 'gateway',
    request: withToken(gql('mutation($input: CreateTourismAllianceInput!) { createTourismAlliance(input: $input) { id } }', { input: { name: 'x', theme: 'y', leadVillageId: SQL_OR } })),
    expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null },
  },
  {
    name: 'SQL as an allocation’s project id',
    target: 'gateway',
    request: withToken(gql(ALLOCATE, allocation({ projectId: "proj-510302101201-1-2' OR '1'='1" }))),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: null },
  },
  {
    name: 'SQL as a fund’s coordinating task force',
    target: 'gateway',
    request: withToken(
      gql('mutation($input: CreateFundInput!) { createFund(input: $input) { id } }', { input: { name: '恶意', sourceDepartment: '市财政局', totalAmount: '1.00', coordinatedByTaskForceId: `tf-510300000000'; ${SQL_DROP}` } }),
    ),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: null },
  },
  {
    name: 'SQL as a new park’s village',
    target: 'gateway',
    request: withToken(gql('mutation($input: CreateIndustrialParkInput!) { createIndustrialPark(input: $input) { id } }', { input: { villageId: SQL_OR, name: SQL_DROP, products: [SCRIPT] } })),
    expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null },
  },
  {
    name: 'SQL as a project’s park',
    target: 'gateway',
    request: withToken(gql('mutation($input: AddParkProjectInput!) { addParkProject(input: $input) { id } }', { input: { parkId: `park'; ${SQL_DROP}`, name: SCRIPT, phase: 9 } })),
    expect: { status: 200, code: 'NOT_FOUND', data: null },
  },
  {
    name: 'SQL as a supply chain’s park',
    target: 'gateway',
    request: withToken(
      gql('mutation($input: RecordSupplyChainInput!) { recordSupplyChain(input: $input) { id } }', {
        input: { parkId: SQL_OR, product: "' OR 1=1 --", dailyVolume: 1, unit: "'--", destinations: [SQL_DROP] },
      }),
    ),
    expect: { status: 200, code: 'NOT_FOUND', data: null },
  },
  {
    name: 'SQL as an alliance to join',
    target: 'gateway',
    request: withToken(gql(`mutation { addAllianceMember(allianceId: "${SQL_OR}", villageId: "${GANTANG}") { id } }`)),
    expect: { status: 200, code: 'NOT_FOUND', data: null },
  },
  {
    name: 'SQL as a village joining an alliance',
    target: 'gateway',
    request: withToken(gql(`mutation { addAllianceMember(allianceId: "x", villageId: "${SQL_OR}") { id } }`)),
    expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null },
  },
  {
    name: 'SQL as an alliance’s platform',
    target: 'gateway',
    request: withToken(gql('mutation($a: ID!, $n: String!) { addTourismPlatform(allianceId: $a, name: $n) { id } }', { a: SQL_OR, n: SQL_DROP })),
    expect: { status: 200, code: 'NOT_FOUND', data: null },
  },
  {
    name: 'SQL as an alliance’s income contribution',
    target: 'gateway',
    request: withToken(gql(`mutation { recordAllianceIncomeContribution(allianceId: "${SQL_OR}", year: 2024, amount: "1.00") { year } }`)),
    expect: { status: 200, code: 'NOT_FOUND', data: null },
  },
  {
    name: 'SQL as the village of an income record',
    target: 'gateway',
    request: withToken(gql('mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { year } }', { input: { villageId: SQL_OR, year: 2024, amount: '1.00' } })),
    expect: { status: 200, code: 'INVALID_DIVISION_CODE', data: null },
  },
  {
    name: 'a year beyond 40 bits to record',
    target: 'gateway',
    request: withToken(gql('mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { year } }', { input: { villageId: GANTANG, year: 2 ** 40, amount: '1.00' } })),
    expect: { status: 400, code: 'BAD_USER_INPUT' },
  },
  {
    name: 'a year before the statistics',
    target: 'gateway',
    request: withToken(gql('mutation($input: RecordCollectiveIncomeInput!) { recordCollectiveIncome(input: $input) { year } }', { input: { villageId: GANTANG, year: 1999, amount: '1.00' } })),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: null },
  },
  {
    name: 'a negative daily volume on an unknown supply chain',
    target: 'gateway',
    request: withToken(gql('mutation { setSupplyChainVolume(id: "sc\' OR 1=1 --", dailyVolume: -1) { id } }')),
    expect: { status: 200, code: 'BAD_USER_INPUT', data: null },
  },

  // --- Who is asking ---
  { name: 'a mutation without a token', target: 'gateway', request: gql(ALLOCATE, allocation({})), expect: { status: 200, code: 'UNAUTHENTICATED', data: null } },
  { name: 'a mutation with a read-only token', target: 'gateway', request: withToken(gql(ALLOCATE, allocation({})), 'finance:read'), expect: { status: 200, code: 'FORBIDDEN', data: null } },
  {
    name: 'a forged identity header instead of a token',
    target: 'gateway',
    request: { ...gql(ALLOCATE, allocation({})), headers: { 'x-zigong-identity': Buffer.from('{"sub":"mallory","scopes":["finance:write"]}').toString('base64url') } },
    expect: { status: 200, code: 'UNAUTHENTICATED', data: null },
  },
  { name: 'a garbage bearer token', target: 'gateway', request: { ...gql('{ regions { id } }'), authorization: 'Bearer not.a.token' }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  { name: 'Basic authentication', target: 'gateway', request: { ...gql('{ regions { id } }'), authorization: 'Basic bWFsbG9yeTpwYXNzd29yZA==' }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  {
    name: 'an unsigned token (alg "none")',
    target: 'gateway',
    request: {
      ...gql(ALLOCATE, allocation({})),
      authorization: `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"mallory","scope":"finance:write","exp":4102444800}').toString('base64url')}.`,
    },
    expect: { status: 401, code: 'UNAUTHENTICATED' },
  },
  {
    name: 'a token signed with another secret',
    target: 'gateway',
    request: {
      ...gql(ALLOCATE, allocation({})),
      // HS256 over {"sub":"mallory","scope":"finance:write","exp":4102444800} with the key "not-the-gateway-secret-but-32-bytes-long".
      authorization:
        'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5Iiwic2NvcGUiOiJmaW5hbmNlOndyaXRlIiwiZXhwIjo0MTAyNDQ0ODAwfQ.NBomTl7N0kX0kJWln3iIG4swqURcmO1b1EyjXJStm7I',
    },
    expect: { status: 401, code: 'UNAUTHENTICATED' },
  },
  { name: 'an expired token', target: 'gateway', request: { ...gql(ALLOCATE, allocation({})), token: { scope: 'finance:write', expiresIn: 1 } }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  { name: 'a 20 KB Authorization header', target: 'gateway', request: { ...gql('{ regions { id } }'), authorization: `Bearer ${'a'.repeat(20_000)}` }, expect: { status: 431, code: null } },

  // --- Production mode ---
  { name: 'an anonymous read in production', target: 'production', request: gql('{ regions(level: CITY) { id } }'), expect: { status: 401, code: 'UNAUTHENTICATED' } },
  { name: 'introspection in production', target: 'production', request: withToken(gql('{ __schema { types { name } } }'), ''), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  { name: '__type in production', target: 'production', request: withToken(gql('{ __type(name: "Fund") { fields { name } } }'), ''), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  { name: 'an introspection bomb in production', target: 'production', request: withToken(gql(introspectionBomb(6)), ''), expect: { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' } },
  { name: '__typename in production', target: 'production', request: withToken(gql('{ __typename }'), ''), expect: { status: 200, code: null, data: { __typename: 'Query' } } },

  // --- Straight to a subgraph ---
  { name: 'an unsigned query to a subgraph', target: 'subgraph', request: { ...gql('{ regions { id } }'), subgraph: 'organization' }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  { name: 'an unsigned mutation to finance', target: 'subgraph', request: { ...gql(ALLOCATE, allocation({})), subgraph: 'finance' }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  {
    name: 'an unsigned mutation to finance with a forged identity',
    target: 'subgraph',
    request: { ...gql(ALLOCATE, allocation({})), subgraph: 'finance', headers: { 'x-zigong-identity': Buffer.from('{"sub":"mallory","scopes":["finance:write"]}').toString('base64url') } },
    expect: { status: 401, code: 'UNAUTHENTICATED' },
  },
  { name: 'a request signed with another secret', target: 'subgraph', request: { ...gql('{ funds { id } }'), subgraph: 'finance', sign: 'wrong-secret' }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  { name: 'a replayed (stale) signature', target: 'subgraph', request: { ...gql('{ funds { id } }'), subgraph: 'finance', sign: 'stale' }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  { name: 'a malformed signature', target: 'subgraph', request: { ...gql('{ funds { id } }'), subgraph: 'finance', sign: 'malformed' }, expect: { status: 401, code: 'UNAUTHENTICATED' } },
  { name: 'truncated JSON to a subgraph', target: 'subgraph', request: { raw: '{"query":"{ funds', subgraph: 'finance' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'a 10 MB body to a subgraph', target: 'subgraph', request: { streamBytes: 10_000_000, subgraph: 'tourism' }, expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
  { name: 'signed truncated JSON', target: 'subgraph', request: { raw: '{"query":"{ funds', subgraph: 'finance', sign: 'valid' }, expect: { status: 400, code: 'BAD_REQUEST' } },
  { name: 'a signed syntax error', target: 'subgraph', request: { ...gql('{ funds { id }'), subgraph: 'finance', sign: 'valid' }, expect: { status: 400, code: 'GRAPHQL_PARSE_FAILED' } },
  {
    name: 'a signed NaN amount',
    target: 'subgraph',
    request: { ...gql(ALLOCATE, allocation({ amount: 'NaN' })), subgraph: 'finance', sign: 'valid' },
    expect: { status: 400, code: 'INVALID_DECIMAL' },
  },
  {
    name: 'a signed mutation without an identity',
    target: 'subgraph',
    request: { ...gql(ALLOCATE, allocation({})), subgraph: 'finance', sign: 'valid' },
    expect: { status: 200, code: 'UNAUTHENTICATED', data: null },
  },
  {
    name: 'signed entity lookups with SQL for ids',
    target: 'subgraph',
    request: {
      ...gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on Village { id name } } }', {
        r: [{ __typename: 'Village', id: SQL_OR }, { __typename: 'Village', id: SQL_DROP }],
      }),
      subgraph: 'organization',
      sign: 'valid',
    },
    expect: { status: 200, code: null, data: { _entities: [null, null] } },
  },
  {
    name: 'signed entity lookups of an unknown type',
    target: 'subgraph',
    request: { ...gql('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ __typename: 'pg_catalog.pg_user', id: '1' }] }), subgraph: 'finance', sign: 'valid' },
    expect: { status: 200, code: 'INTERNAL_SERVER_ERROR' },
  },
  {
    name: 'a signed search with SQL',
    target: 'subgraph',
    request: { ...gql(`{ villages(nameContains: "${SQL_DROP}") { totalCount } }`), subgraph: 'organization', sign: 'valid' },
    expect: { status: 200, code: null, data: { villages: { totalCount: 0 } } },
  },
];
