import { buildSchema, operationFromDocument } from '@apollo/federation-internals';
import { parse } from 'graphql';
import { computeResponse, resultShapingSupport, shapeResultsOf } from './result-shaping';

// Apollo's own, taken before anything replaces it.
const apollo = require('@apollo/gateway/dist/resultShaping.js').computeResponse as typeof computeResponse;

const schema = buildSchema(`
  type Query { villages(first: Int): Connection! village(id: ID!): Village node: Node things: [Thing] count: Int }
  type Connection { totalCount: Int! edges: [Edge!]! }
  type Edge { node: Village! }
  interface Node { id: ID! }
  type Village implements Node { id: ID! name: String! kind: Kind score: Float rank: Int ok: Boolean tags: [String!] town: Town officers: [Officer!]! income: Income }
  type Town implements Node { id: ID! name: String }
  type Officer { name: String! role: Kind! }
  type Income { amount: Decimal year: Int! }
  union Thing = Village | Town
  enum Kind { A B }
  scalar Decimal
`);

const QUERY = `query Q($skipTown: Boolean!, $withIncome: Boolean = true, $first: Int) {
  count
  villages(first: $first) {
    totalCount
    edges { node {
      id name kind score rank ok tags alias: name __typename t: __typename
      town @skip(if: $skipTown) { id name }
      officers { name role }
      income @include(if: $withIncome) { amount year }
      ... on Village { name id }
      ...F
    } }
  }
  node { __typename id ... on Town { name } ... on Village { kind } }
  things { ... on Village { id name } ... on Town { name } }
  village(id: "1") { id town { id } }
}
fragment F on Village { score officers { role } }`;

const village = (i: number, extra: Record<string, unknown> = {}) => ({
  id: String(i),
  name: `v${i}`,
  kind: i % 2 ? 'A' : 'B',
  score: i / 3,
  rank: i,
  ok: i % 2 === 0,
  tags: ['x', 'y'],
  alias: `v${i}`,
  __typename: 'Village',
  t: 'Village',
  town: i % 3 ? { id: `t${i}`, name: `town${i}` } : null,
  officers: [{ name: 'a', role: 'A' }],
  income: { amount: '1.50', year: 2024 },
  ...extra,
});

function input(villages: unknown[], rest: Record<string, unknown> = {}) {
  return {
    count: 3,
    villages: { totalCount: villages.length, edges: villages.map((node) => ({ node })) },
    node: { __typename: 'Town', id: 't1', name: 'T' },
    things: [{ __typename: 'Village', id: '9', name: 'n' }, { __typename: 'Town', name: 'tt' }, null],
    village: { id: '1', town: null },
    ...rest,
  };
}

function run(fn: typeof computeResponse, data: unknown, variables: Record<string, unknown>, query = QUERY) {
  const operation = operationFromDocument(schema, parse(query), { validate: false });
  try {
    const { data: out, errors } = fn({ operation, variables, input: data === null ? data : JSON.parse(JSON.stringify(data)), introspectionHandling: () => ({ introspected: true }) });
    return { data: JSON.stringify(out), errors: errors.map((e: any) => ({ message: e.message, path: e.path, code: e.extensions?.code })) };
  } catch (error) {
    return { thrown: (error as Error).message };
  }
}

const cases: Array<[string, unknown, Record<string, unknown>, string?]> = [
  ['a page', input([village(1), village(2), village(3)]), { skipTown: false }],
  ['skip and include', input([village(1), village(2)]), { skipTown: true, withIncome: false }],
  ['defaulted variable', input([village(4)]), { skipTown: false }],
  ['null for a non-null field bubbles up to the nullable parent', input([village(1, { name: null }), village(2)]), { skipTown: false }],
  ['null in a non-null list element', input([village(1, { officers: [null] })]), { skipTown: false }],
  ['non-null chain up to the root', input([village(1)], { villages: { totalCount: null, edges: [] } }), { skipTown: false }],
  ['missing fields', input([{ id: '1', __typename: 'Village' }]), { skipTown: false }],
  ['invalid leaf values', input([village(1, { rank: 1.5, ok: 'yes', kind: 'C', score: 'x', tags: [1] })]), { skipTown: false }],
  ['invalid __typename', input([village(1, { town: { __typename: 'Nope', id: 'x' } })]), { skipTown: false }],
  ['unknown __typename on an abstract field', input([village(1)], { node: { __typename: 'Other', id: '1' } }), { skipTown: false }],
  ['no __typename on an abstract field', input([village(1)], { node: { id: '1' } }), { skipTown: false }],
  ['a non-boolean skip variable', input([village(1)]), { skipTown: 'no' }],
  ['a non-list for a list', input([village(1, { officers: { name: 'a' } })]), { skipTown: false }],
  ['__proto__ and constructor as response names', JSON.parse('{"__proto__":1,"constructor":2,"toString":3}'), { skipTown: false }, '{ __proto__: count constructor: count toString: count }'],
  ['introspection', { count: 1 }, {}, '{ __typename count __schema { queryType { name } } }'],
  ['no data', null, { skipTown: false }],
];

describe('computeResponse', () => {
  it.each(cases.map(([name, data, variables, query]) => ({ name, data, variables, query })))('answers as Apollo’s does: $name', ({ data, variables, query }) => {
    const ours = run(computeResponse, data, variables, query);
    expect(ours).toEqual(run(apollo, data, variables, query));
  });

  it('keeps __proto__ as an ordinary response key', () => {
    const { data } = run(computeResponse, JSON.parse('{"__proto__":7}'), {}, '{ __proto__: count }') as { data: string };
    expect(data).toBe('{"__proto__":7}');
  });

  it('shapes the operations of the schemas that asked for it, and leaves every other schema to Apollo’s', () => {
    expect(resultShapingSupport()).toMatchObject({ supported: true, version: '2.14.4' });
    const other = buildSchema('type Query { count: Int }');
    const calls = { ours: 0 };
    expect(shapeResultsOf(schema)).toBe(true);
    const exported = require('@apollo/gateway/dist/resultShaping.js').computeResponse as typeof computeResponse;
    expect(exported).not.toBe(computeResponse);
    // Told apart by output objects: Apollo's are prototype-less, ours ordinary.
    const shape = (s: typeof schema) => exported({ operation: operationFromDocument(s, parse('{ count }'), { validate: false }), variables: {}, input: { count: 1 }, introspectionHandling: () => null }).data;
    if (Object.getPrototypeOf(shape(schema)) === Object.prototype) calls.ours++;
    expect(Object.getPrototypeOf(shape(other))).toBeNull();
    expect(calls.ours).toBe(1);
  });
});
