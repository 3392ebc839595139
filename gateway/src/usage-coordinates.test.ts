import { buildSchema, parse } from 'graphql';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { operationUsage } from './usage-coordinates';

// A small schema with every kind of coordinate: an interface, a union, arguments, nested input
// objects (one of them cyclic), enums, a custom scalar.
const schema = buildSchema(`
  scalar Decimal
  interface Node { id: ID! }
  type Village implements Node { id: ID! name: String! population(year: Int): Int income(currency: Currency = CNY): Decimal town: Town generated: Boolean! }
  type Town implements Node { id: ID! name: String! villages(filter: VillageFilter, first: Int): [Village!]! }
  union Place = Village | Town
  enum Currency { CNY USD }
  enum Order { NAME_ASC NAME_DESC }
  input VillageFilter { nameContains: String range: Range order: Order and: VillageFilter }
  input Range { min: Int max: Int }
  input RenameInput { id: ID! name: String! }
  type Query { village(id: ID!): Village node(id: ID!): Node search(text: String!, order: Order): [Place!]! towns(filter: VillageFilter): [Town!]! }
  type Mutation { renameVillage(input: RenameInput!): Village }
`);

const usageOf = (text: string, operationName?: string) => operationUsage(schema, parse(text), operationName);
const coordinatesOf = (text: string, operationName?: string) => usageOf(text, operationName)?.coordinates;

describe('the schema coordinates an operation touches', () => {
  it('are the fields selected, their arguments and the types they return; the root type and built-in scalars are not', () => {
    expect(coordinatesOf('query VillagePage { village(id: "1") { id name population(year: 2025) } }')).toEqual([
      'Query.village',
      'Query.village.id',
      'Village',
      'Village.id',
      'Village.name',
      'Village.population',
      'Village.population.year',
    ]);
  });

  it('follow named fragments (nested ones too) and count a field where its fragment selects it', () => {
    const text = `
      query Villages { village(id: "1") { ...Basics town { ...TownName } } }
      fragment Basics on Village { name ...Money }
      fragment Money on Village { income }
      fragment TownName on Town { name }
      fragment Unused on Village { generated }`;
    expect(coordinatesOf(text)).toEqual([
      'Decimal',
      'Query.village',
      'Query.village.id',
      'Town',
      'Town.name',
      'Village',
      'Village.income',
      'Village.name',
      'Village.town',
    ]);
  });

  it('keep an interface’s field the interface’s, and take an inline fragment’s fields on its own type (unions too)', () => {
    const text = `{
      node(id: "1") { id ... on Village { generated } }
      search(text: "x") { __typename ... on Town { name } ... on Village { id } }
    }`;
    expect(coordinatesOf(text)).toEqual([
      'Node',
      'Node.id',
      'Place',
      'Query.node',
      'Query.node.id',
      'Query.search',
      'Query.search.text',
      'Town',
      'Town.name',
      'Village',
      'Village.generated',
      'Village.id',
    ]);
  });

  it('take input fields written as literals, nested ones and in lists, and enum values only as literals', () => {
    const text = `{
      towns(filter: { nameContains: "long", range: { min: 1 }, order: NAME_DESC, and: { order: NAME_ASC } }) { id }
      search(text: "x", order: NAME_ASC) { __typename }
      village(id: "1") { income(currency: USD) }
    }`;
    expect(coordinatesOf(text)).toEqual([
      'Currency',
      'Currency.USD',
      'Decimal',
      'Order',
      'Order.NAME_ASC',
      'Order.NAME_DESC',
      'Place',
      'Query.search',
      'Query.search.order',
      'Query.search.text',
      'Query.towns',
      'Query.towns.filter',
      'Query.village',
      'Query.village.id',
      'Range',
      'Range.min',
      'Town',
      'Town.id',
      'Village',
      'Village.income',
      'Village.income.currency',
      'VillageFilter',
      'VillageFilter.and',
      'VillageFilter.nameContains',
      'VillageFilter.order',
      'VillageFilter.range',
    ]);
  });

  it('take every field of a variable’s input type, through nested and cyclic input types, but no enum value a variable may carry', () => {
    const text = 'query Towns($filter: VillageFilter, $order: Order = NAME_DESC) { towns(filter: $filter) { id } search(text: "x", order: $order) { __typename } }';
    expect(coordinatesOf(text)).toEqual([
      'Order',
      // The default value is a literal of the document.
      'Order.NAME_DESC',
      'Place',
      'Query.search',
      'Query.search.order',
      'Query.search.text',
      'Query.towns',
      'Query.towns.filter',
      'Range',
      'Range.max',
      'Range.min',
      'Town',
      'Town.id',
      'VillageFilter',
      'VillageFilter.and',
      'VillageFilter.nameContains',
      'VillageFilter.order',
      'VillageFilter.range',
    ]);
  });

  it('of a mutation take its input object, and leave out directives’ arguments and introspection', () => {
    const text = 'mutation Rename($input: RenameInput!, $skip: Boolean!) { renameVillage(input: $input) { id name @skip(if: $skip) __typename } }';
    expect(coordinatesOf(text)).toEqual(['Mutation.renameVillage', 'Mutation.renameVillage.input', 'RenameInput', 'RenameInput.id', 'RenameInput.name', 'Village', 'Village.id', 'Village.name']);
  });

  it('of a document with two operations are those of the operation run, and of the fragments it spreads only', () => {
    const text = `
      query Names { village(id: "1") { ...N } }
      query Towns { towns { name } }
      fragment N on Village { name }`;
    expect(coordinatesOf(text, 'Names')).toEqual(['Query.village', 'Query.village.id', 'Village', 'Village.name']);
    expect(coordinatesOf(text, 'Towns')).toEqual(['Query.towns', 'Town', 'Town.name']);
    expect(usageOf(text, 'Names')!.hash).not.toBe(usageOf(text, 'Towns')!.hash);
    // No operation of that name, or no name in a document of two: nothing ran.
    expect(usageOf(text, 'Missing')).toBeUndefined();
    expect(usageOf(text)).toBeUndefined();
  });

  it('leave out what the schema does not know, and keep what it does', () => {
    expect(coordinatesOf('{ village(id: "1") { name vanished { x } } gone }')).toEqual(['Query.village', 'Query.village.id', 'Village', 'Village.name']);
  });

  it('of the platform’s own API schema name Village.generated for a query of it', () => {
    const api = buildSchema(readFileSync(resolve(__dirname, '../../schema/api.graphql'), 'utf8'));
    const usage = operationUsage(api, parse('query Generated($id: ID!) { village(id: $id) { name generated } }'), 'Generated')!;
    expect(usage.coordinates).toEqual(['Query.village', 'Query.village.id', 'Village', 'Village.generated', 'Village.name']);
  });
});

describe('the operation signature', () => {
  it('is the same whatever the literals, aliases, whitespace, field order and unused fragments, and its hash is the sha256 of it', () => {
    const a = usageOf('query V { village(id: "1") { name id } }')!;
    const b = usageOf(`
      query V {
        v: village(id: "2") { id    name }
      }
      fragment Unused on Town { name }`)!;
    expect(b.signature).toBe(a.signature);
    expect(b.hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.signature).toBe('query V{village(id:""){id name}}');
    expect(a.name).toBe('V');
  });

  it('differs for another selection, another name, and names no operation for an anonymous one', () => {
    const base = usageOf('query V { village(id: "1") { name } }')!;
    expect(usageOf('query V { village(id: "1") { name id } }')!.hash).not.toBe(base.hash);
    expect(usageOf('query W { village(id: "1") { name } }')!.hash).not.toBe(base.hash);
    const anonymous = usageOf('{ village(id: "1") { name } }')!;
    expect(anonymous.name).toBeNull();
    expect(anonymous.signature).toBe('{village(id:""){name}}');
  });

  it('is stable: a known operation signs as it did when this test was written', () => {
    const usage = usageOf('query VillagePage($id: ID!) { village(id: $id) { name population(year: 2025) ...on Village { id } } }')!;
    expect(usage.signature).toBe('query VillagePage($id:ID!){village(id:$id){name population(year:0)...on Village{id}}}');
  });
});
