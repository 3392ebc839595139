import { composeServices } from '@apollo/composition';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { getOperationAST, parse } from 'graphql';
import { fetchIsClientOperation } from './operation-match';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';
const composed = composeServices([
  {
    name: 'a',
    url: 'http://a',
    typeDefs: parse(`${LINK}
      type Query { products: [Product] oven(id: ID!, scale: Float = 1.5): Oven things(filter: Filter): [Oven] }
      input Filter { ids: [ID!] }
      union Product = Oven | Toaster
      type Oven @key(fields: "id") { id: ID! name: String kind: String }
      type Toaster { id: ID! name: String }`),
  },
  {
    name: 'b',
    url: 'http://b',
    typeDefs: parse(`${LINK}
      type Query { node(id: ID!): Node }
      interface Node { id: ID! }
      type Oven implements Node @key(fields: "id") { id: ID! }`),
  },
]);
if (!composed.supergraphSdl) throw new Error(String(composed.errors));
const supergraph = Supergraph.build(composed.supergraphSdl);
const planner = new QueryPlanner(supergraph);
const api = supergraph.apiSchema();
const schema = api.toGraphQLJSSchema();

/** The planner's verdict and ours, for one query. */
function judge(query: string) {
  const document = parse(query);
  const node = planner.buildQueryPlan(operationFromDocument(api, document, {})).node;
  if (node?.kind !== 'Fetch') throw new Error(`not one fetch: ${query}`);
  return { fetch: node.operation, same: fetchIsClientOperation(document, getOperationAST(document)!, node.operation, schema) };
}

describe('the direct route’s proof that the planner’s fetch is the client’s operation', () => {
  it.each([
    ['plain fields', '{ products { ... on Oven { id name } ... on Toaster { id } } }'],
    ['__typename the planner also asks for', '{ products { __typename ... on Oven { id } } }'],
    ['a fragment on the parent’s own type, and a field asked for twice', '{ oven(id: "1") { id ... on Oven { name id } name } }'],
    ['a named fragment', 'query { oven(id: "7") { ...F } } fragment F on Oven { kind name }'],
    ['an ID the planner prints as a number', '{ oven(id: "510302") { id } }'],
    ['a Float the planner may print without its fraction', '{ oven(id: "1", scale: 2.0) { id } }'],
    ['IDs inside an input object', '{ things(filter: { ids: ["1", "x"] }) { id } }'],
    ['variables with defaults', 'query ($id: ID! = "12", $s: Float = 3.0) { oven(id: $id, scale: $s) { id } }'],
  ])('vouches for %s', (_what, query) => {
    expect(judge(query)).toMatchObject({ same: true });
  });

  it.each([
    ['a fragment on an interface that the subgraph’s types do not implement', '{ products { ... on Node { id } } }'],
    ['two fragments on one type, which Apollo merges', '{ products { ... on Oven { id } ... on Toaster { id } ... on Oven { name } } }'],
    ['__typename at the root, which the planner answers itself', '{ __typename products { ... on Toaster { id } } }'],
    ['a root’s __typename inside a fragment: a subgraph would name its own root (`RootQuery`)', 'query ($x: Boolean = true) { ... @include(if: $x) { __typename } products { ... on Toaster { id } } }'],
    ['a fragment on the root type, which a subgraph with renamed roots does not know', '{ ... on Query { products { ... on Toaster { id } } } }'],
    ['a named fragment on the root type', '{ ...Root } fragment Root on Query { products { ... on Toaster { id } } }'],
  ])('refuses %s', (_what, query) => {
    const { fetch, same } = judge(query);
    expect({ fetch, same }).toEqual({ fetch, same: false });
  });
});
