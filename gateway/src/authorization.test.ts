import { buildSchema, parse, print } from 'graphql';
import type { IncomingMessage } from 'node:http';
import { authorizationModelOf, callerOf, filterDocument, type PolicyModule, restoreRemoved, TYPENAME_KEY, UNAUTHORIZED } from './authorization';
import { authorizationGuard } from './authorization-guard';
import * as shipped from './policies';
import { queryParser } from './documents';

/** A supergraph's authorization declarations as composition writes them (the join directives of one field kept, for @policy's owner). */
const SUPERGRAPH = `
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)
{ query: Query }
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @join__type(graph: join__Graph!, key: String) repeatable on OBJECT | INTERFACE
directive @join__field(graph: join__Graph) repeatable on FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
scalar requiresScopes__Scope
scalar policy__Policy
enum join__Graph { ORGANIZATION @join__graph(name: "organization", url: "http://o") FINANCE @join__graph(name: "finance", url: "http://f") }
type Query {
  taskForce(id: ID!): TaskForce
  members: [Member!]!
  me: Member @authenticated
  funds: [Fund!]!
  search: [Result!]!
  nodes: [Node!]!
}
type TaskForce { id: ID! name: String! members: [Member!]! }
type Member { id: ID! name: String background: String @requiresScopes(scopes: [["organization:personnel"], ["organization:admin", "audit:read"]]) }
type Fund @join__type(graph: FINANCE) { id: ID! allocations: [Allocation!]! audit: Audit }
type Allocation @join__type(graph: FINANCE) { id: ID! amount: String! allocatedBy: String! @requiresScopes(scopes: [["finance:read"]]) note: String @join__field(graph: FINANCE) @policy(policies: [["own-department"]]) }
type Audit @requiresScopes(scopes: [["finance:audit"]]) { id: ID! }
union Result = Member | Audit
interface Node { id: ID! secret: String }
type Open implements Node { id: ID! secret: String }
type Closed implements Node { id: ID! secret: String @authenticated }
`;
const api = buildSchema(
  SUPERGRAPH.replace(/^(schema|directive|scalar|enum join__Graph)[\s\S]*?(\{ query: Query \}|OBJECT \| INTERFACE|ENUM_VALUE|FIELD_DEFINITION|__Scope|__Policy|\})$/gm, '').replace(
    / @(requiresScopes|policy|authenticated|join__type|join__field)(\([^)]*\)(\)|\])?)?/g,
    '',
  ),
);
const model = authorizationModelOf(SUPERGRAPH, api);
const anonymous = callerOf(model, null, shipped);
const as = (scope: string, policies: PolicyModule = shipped) => callerOf(model, { sub: 'tester', scopes: scope.split(' ').filter(Boolean) }, policies);

const filter = (query: string, caller = anonymous) => filterDocument(model, parse(query), query, caller);
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
/** The errors reject mode answers with: the removed fields of the operation as it runs. */
const refusedPaths = (query: string, variables: Record<string, unknown> = {}, caller = anonymous) => {
  const document = parse(query);
  return restoreRemoved(model, filterDocument(model, document, query, caller), document, undefined, variables, { data: null }).map((error) => error.path);
};

describe('the supergraph model', () => {
  it('reads field and type requirements, OR of AND-lists, and who owns a @policy field', () => {
    expect(model.fields.get('Member.background')?.requirement.scopes).toEqual([['organization:personnel'], ['organization:admin', 'audit:read']]);
    expect(model.fields.get('Query.me')?.requirement.authenticated).toBe(true);
    expect(model.types.get('Audit')?.requirement.scopes).toEqual([['finance:audit']]);
    expect(model.policyCoordinates).toEqual([{ coordinate: 'Allocation.note', type: 'Allocation', field: 'note', subgraphs: ['finance'], policies: ['own-department'] }]);
  });
});

describe('filterDocument', () => {
  it('leaves an operation without guarded fields alone: same text, nothing removed', () => {
    const query = '{ taskForce(id: "1") { id name members { name } } }';
    const filtered = filter(query);
    expect(filtered.changed).toBe(false);
    expect(filtered.text).toBe(query);
  });

  it('removes a field without its scope, and keeps it with one of its AND-lists', () => {
    const query = '{ members { name background } }';
    expect(squash(filter(query).text)).toBe('{ members { name } }');
    expect(refusedPaths(query)).toEqual([['members', '@', 'background']]);
    expect(filter(query, as('organization:personnel')).changed).toBe(false);
    expect(filter(query, as('organization:admin audit:read')).changed).toBe(false);
    // Half an AND-list is not enough.
    expect(filter(query, as('organization:admin')).changed).toBe(true);
  });

  it('follows aliases, named fragments, nested fragments and variables, and drops what nothing uses any more', () => {
    const query = `query Q($id: ID!, $unused: Boolean!) {
      force: taskForce(id: $id) { ...force }
      plain: members { who: name bio: background @include(if: $unused) }
    }
    fragment force on TaskForce { name members { ...member } }
    fragment member on Member { ... on Member { background } }`;
    const filtered = filter(query);
    expect(squash(filtered.text)).toBe(
      squash(`query Q($id: ID!) { force: taskForce(id: $id) { ...force } plain: members { who: name } }
      fragment force on TaskForce { name members { ...member } }
      fragment member on Member { ... on Member { __typename } }`),
    );
    expect(refusedPaths(query, { unused: true })).toEqual([['force', 'members', '@', 'background'], ['plain', '@', 'bio']]);
    // A field the operation skips is removed, and refuses nothing.
    expect(refusedPaths(query, { unused: false })).toEqual([['force', 'members', '@', 'background']]);
  });

  it('keeps a selection that lost every field valid with __typename', () => {
    expect(squash(filter('{ me { id } funds { audit { id } } }').text)).toBe('{ funds { __typename } }');
  });

  it('removes fields returning a guarded type, and fragments on it; an abstract field needs every possible type', () => {
    expect(squash(filter('{ search { ... on Member { name } ... on Audit { id } } }').text)).toBe('{ __typename }');
    expect(squash(filter('{ search { ... on Member { name } } }', as('finance:audit')).text)).toBe('{ search { ... on Member { name } } }');
    const fragmentOnly = filter('{ nodes { id ... on Closed { secret } } }');
    expect(squash(fragmentOnly.text)).toBe(`{ nodes { id ... on Closed { __typename } ${TYPENAME_KEY}: __typename } }`);
    // An interface field is guarded if any implementation's field is.
    expect(squash(filter('{ nodes { id secret } }').text)).toBe(`{ nodes { id ${TYPENAME_KEY}: __typename } }`);
    expect(filter('{ nodes { id secret } }', as('')).changed).toBe(false);
  });

  it('never touches introspection', () => {
    const query = '{ __schema { types { name } } __type(name: "Member") { fields { name } } members { __typename } }';
    expect(filter(query).changed).toBe(false);
  });

  it('asks the policy module about each @policy coordinate for the caller', () => {
    const query = '{ funds { allocations { id note } } }';
    expect(filter(query, as('organization:read')).changed).toBe(true);
    expect(filter(query, as('finance:read')).changed).toBe(false);
    const asked: unknown[] = [];
    const custom = { decide: (request: unknown) => (asked.push(request), true) };
    expect(filter(query, as('', custom)).changed).toBe(false);
    expect(asked).toEqual([{ policy: 'own-department', identity: { sub: 'tester', scopes: [] }, type: 'Allocation', field: 'note', subgraphs: ['finance'] }]);
    // Anonymous callers are never granted a policy.
    expect(filter(query, callerOf(model, null, custom)).changed).toBe(true);
  });

  it('leaves an invalid document to Apollo', () => {
    expect(filter('{ members { background nope } }').changed).toBe(false);
  });
});

describe('restoreRemoved', () => {
  const complete = (query: string, data: Record<string, unknown> | null, variables: Record<string, unknown> = {}, caller = anonymous) => {
    const document = parse(query);
    const filtered = filterDocument(model, document, query, caller);
    const result = { data };
    const errors = restoreRemoved(model, filtered, document, undefined, variables, result);
    return { data: result.data, errors: errors.map((e) => ({ path: e.path, code: e.extensions.code })) };
  };

  it('answers each removed field null, in the client’s order, with one error per removed field at its query path', () => {
    const { data, errors } = complete('{ members { background name } }', { members: [{ name: 'a' }, { name: 'b' }] });
    expect(JSON.stringify(data)).toBe('{"members":[{"background":null,"name":"a"},{"background":null,"name":"b"}]}');
    expect(errors).toEqual([{ path: ['members', '@', 'background'], code: UNAUTHORIZED }]);
    // Whatever the data: an empty list still says what was removed.
    expect(complete('{ members { background name } }', { members: [] }).errors).toEqual([{ path: ['members', '@', 'background'], code: UNAUTHORIZED }]);
  });

  it('names a removed field of a named fragment where the operation spreads it', () => {
    const { errors } = complete('{ force: taskForce(id: "1") { ...f } } fragment f on TaskForce { members { bio: background } }', { force: null });
    expect(errors).toEqual([{ path: ['force', 'members', '@', 'bio'], code: UNAUTHORIZED }]);
  });

  it('nulls the parent of a removed non-null field, as graphql-js bubbles nulls', () => {
    const { data, errors } = complete('{ funds { id allocations { amount allocatedBy } } }', { funds: [{ id: 'f', allocations: [{ amount: '1.00' }] }] });
    // allocatedBy: String! → the allocation → [Allocation!]! → the fund → [Fund!]! → data.
    expect(data).toBeNull();
    expect(errors).toEqual([{ path: ['funds', '@', 'allocations', '@', 'allocatedBy'], code: UNAUTHORIZED }]);
    const nullable = complete('{ taskForce(id: "1") { members { allocated: background } } }', { taskForce: { members: [] } });
    expect(nullable.data).toEqual({ taskForce: { members: [] } });
  });

  it('applies a removed fragment field only to objects of its type, told by the concrete type it asked for', () => {
    const query = '{ nodes { id ... on Closed { secret } } }';
    const { data, errors } = complete(query, {
      nodes: [
        { id: '1', [TYPENAME_KEY]: 'Open' },
        { id: '2', [TYPENAME_KEY]: 'Closed' },
      ],
    });
    expect(data).toEqual({ nodes: [{ id: '1' }, { id: '2', secret: null }] });
    expect(errors).toEqual([{ path: ['nodes', '@', 'secret'], code: UNAUTHORIZED }]);
  });

  it('skips what @skip and @include leave out, and keeps a field another selection still asks for', () => {
    const skipped = complete('query($show: Boolean!) { members { name background @include(if: $show) } }', { members: [{ name: 'a' }] }, { show: false });
    expect(skipped).toEqual({ data: { members: [{ name: 'a' }] }, errors: [] });
    const both = complete('{ nodes { secret ... on Closed { id } } }', { nodes: [] }, {}, as(''));
    expect(both.errors).toEqual([]);
  });

  it('prints the filtered document as valid GraphQL the gateway can plan', () => {
    const filtered = filter('{ members { background } }');
    expect(print(parse(filtered.text))).toContain('members');
  });
});

describe('the request guard', () => {
  const hashOnly = { variables: {}, extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } };
  const guardWith = (persistedQuery: (hash: string) => Promise<string | undefined>) => {
    const guard = authorizationGuard({
      mode: 'filter',
      policies: shipped,
      parseQuery: queryParser(10_000),
      identity: async () => null,
      allowAnonymousReads: true,
      persistedQuery,
      registerPersisted: async () => undefined,
    });
    guard.update(api, SUPERGRAPH);
    return guard;
  };
  const request = { method: 'POST', headers: {} } as IncomingMessage;

  it('answers a persisted-query hash it cannot read as a miss, never passing it on unfiltered (a failed lookup included)', async () => {
    for (const lookup of [async () => undefined, async () => Promise.reject(new Error('redis down'))]) {
      const body = structuredClone(hashOnly);
      const answer = await guardWith(lookup).respond(request, body, new URL('http://gateway/graphql'));
      expect(answer?.errorCodes).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
      expect(JSON.parse(answer!.answer!)).toEqual({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
    }
  });

  it('puts the filtered text in place of a hash it can read', async () => {
    const body: Record<string, unknown> = structuredClone(hashOnly);
    const answer = await guardWith(async () => '{ members { name background } }').respond(request, body, new URL('http://gateway/graphql'));
    expect(answer).toBeUndefined();
    expect(squash(String(body.query))).toBe('{ members { name } }');
    expect(body.extensions).toEqual({});
  });
});
