import { buildSchema, execute, type GraphQLResolveInfo, parse } from 'graphql';
import { selectsPath } from './selection';

const schema = buildSchema(`
  type Query { page: Page }
  type Page { edges: [Edge] }
  type Edge { node: Node }
  type Node { id: ID, branch: Branch }
  type Branch { name: String }
`);

/** The info of `page` as graphql-js hands it to the resolver, for a query text. */
function infoOf(query: string): GraphQLResolveInfo {
  let seen: GraphQLResolveInfo | undefined;
  // Synchronous here: the resolver returns a plain value, so `seen` is set when execute returns.
  void execute({ schema, document: parse(query), rootValue: { page: (_: unknown, _c: unknown, info: GraphQLResolveInfo) => ((seen = info), null) } });
  return seen!;
}

describe('selectsPath', () => {
  it.each([
    ['a plain selection', '{ page { edges { node { branch { name } } } } }', true],
    ['an alias', '{ page { e: edges { n: node { b: branch { name } } } } }', true],
    ['a named fragment', '{ page { edges { ...E } } } fragment E on Edge { node { branch { name } } }', true],
    ['an inline fragment', '{ page { edges { ... on Edge { node { branch { name } } } } } }', true],
    ['a field under @skip', '{ page { edges { node { branch @skip(if: true) { name } } } } }', true],
    ['a sibling only', '{ page { edges { node { id } } } }', false],
    ['the name at another depth', '{ page { edges { node { id } } } }', false],
  ])('%s', (_what, query, expected) => {
    expect(selectsPath(infoOf(query), ['edges', 'node', 'branch'])).toBe(expected);
  });
});
