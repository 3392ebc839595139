import { buildSchema, type GraphQLError, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { checkShape, costModelOf, EMPTY_COST_MODEL, estimateCost, measureShape } from './demand-control';

/** A supergraph's cost declarations as composition writes them (the join directives left out). */
const SUPERGRAPH = `
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"])
{ query: Query }
directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
type Query {
  funds: [Fund!]! @listSize(assumedSize: 7)
  villages(first: Int, after: String): VillageConnection! @listSize(assumedSize: 20, slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)
  ranking(first: Int = 15, last: Int): [Fund!]! @listSize(slicingArguments: ["first", "last"], requireOneSlicingArgument: false)
  strict(first: Int, last: Int): [Fund!]! @listSize(slicingArguments: ["first", "last"])
  report(year: Int @cost(weight: 40)): Report @cost(weight: 100)
  audit: Audit
  undeclared: [Fund!]!
}
type Fund { id: ID! allocations(first: Int): [Allocation!]! @listSize(assumedSize: 20, slicingArguments: ["first"], requireOneSlicingArgument: false) }
type Allocation { id: ID! }
type VillageConnection { edges: [VillageEdge!]! totalCount: Int! }
type VillageEdge { node: Village! }
type Village { id: ID! }
type Report { total: Int! }
type Audit @cost(weight: 9) { id: ID! }
`;
const LIMITS = { defaultListSize: 10, maxPageSize: 100 };
const model = costModelOf(SUPERGRAPH);
// The API schema: what the gateway validates against, without the cost directives.
const api = buildSchema(
  SUPERGRAPH.replace(/^(schema|directive)[\s\S]*?(\{ query: Query \}|FIELD_DEFINITION)$/gm, '').replace(/ @(cost|listSize)\([^)]*\)/g, ''),
);

const estimate = (query: string, variables: Record<string, unknown> = {}, costModel = model) => {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return estimateCost(api, document, operation, variables, LIMITS, costModel);
};

describe('reading @cost and @listSize from the supergraph', () => {
  it('reads assumedSize, slicingArguments, sizedFields and requireOneSlicingArgument (true when not said)', () => {
    expect(model.listSizes.get('Query.funds')).toEqual({ assumedSize: 7, requireOneSlicingArgument: true });
    expect(model.listSizes.get('Query.villages')).toEqual({ assumedSize: 20, slicingArguments: ['first'], sizedFields: ['edges'], requireOneSlicingArgument: false });
    expect(model.listSizes.get('Query.strict')).toEqual({ slicingArguments: ['first', 'last'], requireOneSlicingArgument: true });
    expect(model.listSizes.has('Query.undeclared')).toBe(false);
  });

  it('reads @cost weights of fields, arguments and types', () => {
    expect(model.fieldWeights.get('Query.report')).toBe(100);
    expect(model.argumentWeights.get('Query.report(year)')).toBe(40);
    expect(model.typeWeights.get('Audit')).toBe(9);
  });

  it('follows the names the @link imports them under, or namespaces them when it does not import them', () => {
    const renamed = SUPERGRAPH.replace('import: ["@cost", "@listSize"]', 'import: [{ name: "@listSize", as: "@size" }]')
      .replaceAll('@listSize(assumedSize: 7)', '@size(assumedSize: 7)')
      .replaceAll('@cost(weight: 100)', '@cost__cost(weight: 100)');
    const read = costModelOf(renamed);
    expect(read.listSizes.get('Query.funds')?.assumedSize).toBe(7);
    expect(read.listSizes.has('Query.villages')).toBe(false); // still spelled @listSize: not the cost spec's here
    expect(read.fieldWeights.get('Query.report')).toBe(100);
  });

  it('reads nothing from a supergraph without the cost spec', () => {
    expect(costModelOf('type Query { a: [Int] @listSize(assumedSize: 3) } directive @listSize(assumedSize: Int) on FIELD_DEFINITION')).toEqual(EMPTY_COST_MODEL);
  });
});

describe('estimating with the cost model', () => {
  it('counts a list at its assumedSize: each object its weight, each leaf 1', () => {
    expect(estimate('{ funds { id } }')).toBe(7 * (1 + 1));
  });

  it('counts a sliced list at the slicing argument given, else its assumedSize', () => {
    expect(estimate('{ funds { allocations(first: 3) { id } } }')).toBe(7 * (1 + 3 * 2));
    expect(estimate('query($n: Int) { funds { allocations(first: $n) { id } } }', { n: 5 })).toBe(7 * (1 + 5 * 2));
    expect(estimate('{ funds { allocations { id } } }')).toBe(7 * (1 + 20 * 2));
  });

  it("counts a slicing argument's default where none is given, and the largest of those given", () => {
    expect(estimate('{ ranking { id } }')).toBe(15 * 2);
    expect(estimate('{ ranking(first: 4, last: 30) { id } }')).toBe(30 * 2);
  });

  it('hands the size to the sizedFields: a connection counts once, its edges by `first`', () => {
    expect(estimate('{ villages(first: 5) { totalCount edges { node { id } } } }')).toBe(1 * (1 + 1 + 5 * (1 + 1 * (1 + 1))));
    expect(estimate('{ villages { edges { node { id } } } }')).toBe(1 + 20 * (1 + 2));
  });

  it('refuses a query without exactly one slicing argument where the field requires one', () => {
    expect(() => estimate('{ strict { id } }')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'SLICING_ARGUMENT_REQUIRED' }) }) as unknown as GraphQLError);
    expect(() => estimate('{ strict(first: 2, last: 3) { id } }')).toThrow(/exactly one of `first`, `last`/);
    expect(estimate('{ strict(last: 3) { id } }')).toBe(3 * 2);
  });

  it('refuses a slicing argument above the largest page', () => {
    expect(() => estimate('{ funds { allocations(first: 101) { id } } }')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'PAGE_SIZE_TOO_LARGE' }) }) as unknown as GraphQLError);
  });

  it("weighs a field by its @cost, an argument given by its own, and an object by its type's", () => {
    expect(estimate('{ report { total } }')).toBe(100 + 1);
    expect(estimate('{ report(year: 2024) { total } }')).toBe(140 + 1);
    expect(estimate('{ audit { id } }')).toBe(9 + 1);
  });

  it('counts a list no @listSize declares at DEFAULT_LIST_SIZE, and an object whose only selection is __typename', () => {
    expect(estimate('{ undeclared { __typename } }')).toBe(10 * 1);
    expect(estimate('{ funds { id } }', {}, EMPTY_COST_MODEL)).toBe(10 * 2);
  });

  it('counts what execution returns: a field written 500 times once, fields of one response key merged', () => {
    const once = estimate('{ funds { id allocations { id } } }');
    expect(estimate(`{ funds { ${'id '.repeat(500)} } }`)).toBe(estimate('{ funds { id } }'));
    expect(estimate('{ funds { allocations { id } id allocations { id } } }')).toBe(once);
    // Two aliases are two answers, and cost twice.
    expect(estimate('{ funds { a: id b: id } }')).toBe(7 * 3);
  });

  it('spreads a named fragment once per selection, so fragments fanning out 10^6 times cost one field', () => {
    const levels = 6;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Fund { id }` : `fragment F${i} on Fund { ${`...F${i + 1} `.repeat(10)} }`,
    ).join(' ');
    expect(estimate(`{ funds { ...F0 } } ${fragments}`)).toBe(estimate('{ funds { id } }'));
  });
});

describe('the shape of a document, before validation', () => {
  const fanOut = (levels: number, leaf: string) =>
    `{ funds { ...F0 } } ${Array.from({ length: levels }, (_, i) => (i === levels - 1 ? `fragment F${i} on Fund { ${leaf} }` : `fragment F${i} on Fund { ${`...F${i + 1} `.repeat(10)} }`)).join(' ')}`;

  it('measures each fragment once: fragments fanning out 10⁹ times are measured like the field they end in', () => {
    expect(measureShape(parse(fanOut(10, 'id')))).toEqual({ depth: 2, aliases: 0, rootFields: 1, fields: 1 + 10 ** 9 });
  });

  it('still counts an alias once per path through the fragments, as execution would answer it', () => {
    expect(measureShape(parse(fanOut(3, 'a: id'))).aliases).toBe(100);
  });

  it('counts depth below fragments and stops at cycles and unknown fragments', () => {
    expect(measureShape(parse('{ funds { ...A } } fragment A on Fund { allocations { ...B ...Z } } fragment B on Allocation { id ...A }'))).toEqual({ depth: 3, aliases: 0, rootFields: 1, fields: 3 });
  });
});

describe('the shape limits', () => {
  const limits = { maxDepth: 12, maxAliases: 50, maxRootFields: 20, maxTokens: 50_000, maxCost: 50_000, defaultListSize: 20, maxPageSize: 100, maxFields: 2_000 };
  it('refuses a document selecting more fields than MAX_FIELDS once fragments are followed, and admits 500 copies of one field', () => {
    const fanOut = `{ funds { ...F0 } } ${Array.from({ length: 5 }, (_, i) => (i === 4 ? 'fragment F4 on Fund { id }' : `fragment F${i} on Fund { ${`...F${i + 1} `.repeat(10)} }`)).join(' ')}`;
    expect(checkShape(measureShape(parse(fanOut)), limits)).toMatchObject({ status: 400, code: 'TOO_MANY_FIELDS' });
    expect(checkShape(measureShape(parse(`{ funds { ${'id '.repeat(500)} } }`)), limits)).toBeNull();
  });
});
