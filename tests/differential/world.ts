import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  getNamedType,
  type GraphQLAbstractType,
  type GraphQLFieldResolver,
  GraphQLError,
  type GraphQLOutputType,
  type GraphQLSchema,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type NamedTypeNode,
  parse,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import type { Fixture } from './fixtures';

/**
 * The generated world every fixture subgraph answers from. Resolvers are not written per
 * fixture: every value is a function of (concrete type, identity n, field name, arguments, and
 * the @requires fields a representation carries), so every subgraph agrees about every entity
 * without sharing any state, and any fetch a gateway makes is answered the same way every time.
 *
 * - An object is `{ t, n }`: its concrete type and an integer identity. Entities get n in 1..24,
 *   so lists repeat entities the way real data does. The root object is `{ t: 'Query', n: 0 }`
 *   (or Mutation) whatever the subgraph calls its root type.
 * - Key fields derive from n (`"Product:id:7"`, an Int key is 7, a nested key object shares n),
 *   and `__resolveReference` recovers t and n from whichever key a representation carries.
 *   A string key names the concrete type, which is how an @interfaceObject subgraph's reference
 *   finds its way back to a Book or a Movie.
 * - Anything else is a hash mapped onto the field's type: lists of 0–3 items, nullable values
 *   null one time in six, abstract fields a concrete type among those the *subgraph* knows.
 *   A root field has one value per set of arguments, so it is never null and its lists have 2–4
 *   items: a root field that happened to be an empty list would hide everything below it. The
 *   items of a list of an abstract type take its possible types in turn.
 * - Fields named `failing*` throw a coded GraphQLError (two times in three), non-null fields named
 *   `brokenNonNull*` return null (one time in two), nullable keys are null for every 5th entity,
 *   and each subgraph fails to find one entity in twelve.
 *
 * Two deliberate disagreements: a field a subgraph declares nullable may be null where another
 * subgraph's non-null copy is not (their types say so), and a field another subgraph took over
 * with @override answers differently in the subgraph it was taken from, so a request that went
 * to the wrong subgraph shows.
 */
export interface WorldObject {
  __typename?: string;
  /** The concrete object type whose identity this is (for an @interfaceObject, the real type). */
  t: string;
  n: number;
  /** The representation an entity was resolved from: @requires fields hash from it. */
  rep?: Record<string, unknown>;
}

/** What the subgraphs of one fixture agree on, read from all their SDLs. */
interface FixtureFacts {
  /** Per type, the fields that take part in one of its keys (nested key objects included). */
  keyFields: Map<string, Set<string>>;
  /** Types with a @key in any subgraph. */
  entities: Set<string>;
  /** Per interface, the object types implementing it in any subgraph. */
  implementations: Map<string, string[]>;
}

/** What one subgraph's SDL says about how its own fields behave. */
interface SubgraphFacts {
  interfaceObjects: Set<string>;
  /** `Type.field` with @requires: their value depends on the representation. */
  requires: Set<string>;
  /** The `fields` of each @requires, by `Type.field`. */
  requiredFields: Map<string, string>;
  /** `Type.field` another subgraph took over with @override(from: this one). */
  overridden: Set<string>;
}

const KEY_TEXT = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*):(-?\d+)$/;

/** FNV-1a over the text, then murmur3's finaliser: cheap, and well spread for a modulo. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return finalise(h);
}

/** murmur3's finaliser: spreads the bits of an integer. */
function finalise(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const salts = new Map<string, number>();

/** A seed derived from another and a salt, without building a string (the world makes many). */
function mix(seed: number, salt: string | number): number {
  let code = typeof salt === 'number' ? Math.imul(salt + 1, 0x9e3779b1) : salts.get(salt);
  if (code === undefined) salts.set(salt as string, (code = hash(salt as string)));
  return finalise((seed ^ code) + 0x6d2b79f5);
}

/** JSON with sorted keys: arguments and representations hash the same however they were written. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => key !== '__typename');
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

const directive = (node: { directives?: readonly DirectiveNode[] }, name: string) => node.directives?.filter((d) => d.name.value === name) ?? [];

function stringArgument(node: DirectiveNode, name: string): string | undefined {
  const arg = node.arguments?.find((a) => a.name.value === name);
  return arg?.value.kind === Kind.STRING ? arg.value.value : undefined;
}

const namedTypeOf = (type: TypeNode): NamedTypeNode => (type.kind === Kind.NAMED_TYPE ? type : namedTypeOf(type.type));

type TypeWithFields = Extract<DocumentNode['definitions'][number], { kind: Kind.OBJECT_TYPE_DEFINITION | Kind.OBJECT_TYPE_EXTENSION | Kind.INTERFACE_TYPE_DEFINITION | Kind.INTERFACE_TYPE_EXTENSION }>;

function typesWithFields(document: DocumentNode): TypeWithFields[] {
  return document.definitions.filter(
    (d): d is TypeWithFields =>
      d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION || d.kind === Kind.INTERFACE_TYPE_DEFINITION || d.kind === Kind.INTERFACE_TYPE_EXTENSION,
  );
}

function fixtureFacts(documents: DocumentNode[]): FixtureFacts {
  const keyFields = new Map<string, Set<string>>();
  const entities = new Set<string>();
  const implementations = new Map<string, Set<string>>();
  const mark = (type: string, field: string) => {
    if (!keyFields.has(type)) keyFields.set(type, new Set());
    keyFields.get(type)!.add(field);
  };
  for (const document of documents) {
    const types = new Map(typesWithFields(document).map((t) => [t.name.value, t]));
    // A key's nested selection names fields of the nested type, as this subgraph declares it.
    const walk = (type: string, selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind !== Kind.FIELD) continue;
        mark(type, selection.name.value);
        if (!selection.selectionSet) continue;
        const field = types.get(type)?.fields?.find((f) => f.name.value === (selection as FieldNode).name.value);
        if (field) walk(namedTypeOf(field.type).name.value, selection.selectionSet);
      }
    };
    for (const type of typesWithFields(document)) {
      for (const key of directive(type, 'key')) {
        entities.add(type.name.value);
        const fields = stringArgument(key, 'fields');
        if (fields) walk(type.name.value, (parse(`{${fields}}`).definitions[0] as { selectionSet: SelectionSetNode }).selectionSet);
      }
      if (type.kind === Kind.OBJECT_TYPE_DEFINITION || type.kind === Kind.OBJECT_TYPE_EXTENSION) {
        for (const itf of type.interfaces ?? []) {
          if (!implementations.has(itf.name.value)) implementations.set(itf.name.value, new Set());
          implementations.get(itf.name.value)!.add(type.name.value);
        }
      }
    }
  }
  // An entity interface's key is its implementations' key too.
  for (const [itf, objects] of implementations) {
    for (const field of keyFields.get(itf) ?? []) for (const object of objects) mark(object, field);
  }
  return { keyFields, entities, implementations: new Map([...implementations].map(([itf, objects]) => [itf, [...objects].sort()])) };
}

function subgraphFacts(name: string, documents: Map<string, DocumentNode>): SubgraphFacts {
  const own = documents.get(name)!;
  const interfaceObjects = new Set<string>();
  const requires = new Set<string>();
  const requiredFields = new Map<string, string>();
  for (const type of typesWithFields(own)) {
    if (directive(type, 'interfaceObject').length) interfaceObjects.add(type.name.value);
    for (const field of type.fields ?? []) {
      const [required] = directive(field, 'requires');
      if (!required) continue;
      requires.add(`${type.name.value}.${field.name.value}`);
      requiredFields.set(`${type.name.value}.${field.name.value}`, stringArgument(required, 'fields') ?? '');
    }
  }
  const overridden = new Set<string>();
  for (const [other, document] of documents) {
    if (other === name) continue;
    for (const type of typesWithFields(document)) {
      for (const field of type.fields ?? []) {
        if (directive(field, 'override').some((d) => stringArgument(d, 'from') === name)) overridden.add(`${type.name.value}.${field.name.value}`);
      }
    }
  }
  return { interfaceObjects, requires, requiredFields, overridden };
}

/** A fixture subgraph, ready to execute: its schema, and the world's resolver for every field. */
export interface WorldSubgraph {
  fixture: string;
  name: string;
  schema: GraphQLSchema;
  fieldResolver: GraphQLFieldResolver<WorldObject, unknown>;
  rootValue(operation: 'query' | 'mutation' | 'subscription'): WorldObject;
}

export interface WorldOptions {
  /**
   * Every subgraph finds every entity it is asked for by a well-formed reference, and no key is
   * null. Without it some are absent on purpose; but a plan that fetches fields through
   * `_entities` from the subgraph that just returned the entity (as a deferred fragment's plan
   * does) would then see that subgraph contradict itself, a difference of the world, not of the
   * gateway.
   */
  consistentReferences?: boolean;
}

/** Every subgraph of a fixture, each built with @apollo/subgraph's buildSubgraphSchema on the world. */
export function buildWorld(fixture: Fixture, options: WorldOptions = {}): WorldSubgraph[] {
  const documents = new Map(Object.entries(fixture.subgraphs).map(([name, sdl]) => [name, parse(sdl)]));
  const facts = fixtureFacts([...documents.values()]);
  return [...documents.keys()].map((name) => buildSubgraph(fixture.name, name, documents.get(name)!, facts, subgraphFacts(name, documents), options));
}

function buildSubgraph(fixtureName: string, name: string, document: DocumentNode, facts: FixtureFacts, own: SubgraphFacts, options: WorldOptions): WorldSubgraph {
  // Assigned once built; the resolvers only run after that.
  let schema: GraphQLSchema;

  const objectOf = (typeName: string, seed: number): WorldObject => {
    const entity = facts.entities.has(typeName);
    const n = entity ? 1 + (mix(seed, 'n') % 24) : mix(seed, 'n') % 100_000;
    // An @interfaceObject stands for some implementation this subgraph cannot name: the world can.
    const implementations = own.interfaceObjects.has(typeName) ? facts.implementations.get(typeName) ?? [typeName] : [typeName];
    return { __typename: typeName, t: implementations[mix(seed, 'implementation') % implementations.length], n };
  };

  /**
   * `top`: the value of a root field, which has one value per set of arguments: never null, never
   * short. `turn`: the position of a list item, so that the items of an abstract list take the
   * possible types in turn (from a hashed start) and a list of two is never two of a kind.
   */
  const produce = (type: GraphQLOutputType, seed: number, top = false, turn?: number): unknown => {
    let nullable = true;
    if (isNonNullType(type)) {
      nullable = false;
      type = type.ofType;
    }
    if (nullable && !top && mix(seed, 'null') % 6 === 0) return null;
    if (isListType(type)) {
      const itemType = type.ofType as GraphQLOutputType;
      const length = top ? 2 + (mix(seed, 'length') % 3) : mix(seed, 'length') % 4;
      const start = mix(seed, 'turn');
      return Array.from({ length }, (_, i) => produce(itemType, mix(seed, i), false, start + i));
    }
    if (isEnumType(type)) {
      const values = type.getValues();
      return values[mix(seed, 'enum') % values.length].value;
    }
    if (isScalarType(type)) return scalar(type.name, seed);
    if (isObjectType(type)) return objectOf(type.name, seed);
    const candidates = schema.getPossibleTypes(type as GraphQLAbstractType).map((t) => t.name).sort();
    return objectOf(candidates[(turn ?? mix(seed, 'type')) % candidates.length], seed);
  };

  const keyValue = (source: WorldObject, field: string, type: GraphQLOutputType): unknown => {
    const named = getNamedType(type);
    if (!options.consistentReferences && !isNonNullType(type) && source.n % 5 === 0) return null;
    if (isCompositeType(named)) return { __typename: named.name, t: named.name, n: source.n };
    if (named.name === 'Int' || named.name === 'Float') return source.n;
    return `${source.t}:${field}:${source.n}`;
  };

  /** An argument that is an entity's key text asks for that entity (`product(id: "Product:id:3")`). */
  const byKeyArgument = (args: Record<string, unknown>, type: GraphQLOutputType): WorldObject | undefined => {
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (!isCompositeType(nullable)) return undefined;
    for (const value of Object.values(args)) {
      const match = typeof value === 'string' ? KEY_TEXT.exec(value) : null;
      if (!match) continue;
      const concrete = schema.getType(match[1]);
      if (!isObjectType(concrete)) continue;
      if (concrete === nullable || (isAbstractType(nullable) && schema.isSubType(nullable, concrete))) return { __typename: concrete.name, t: concrete.name, n: Number(match[3]) };
    }
    return undefined;
  };

  // A plan may carry more of the entity in a representation than a field requires (a deferred
  // fragment's plan does): with consistent references only what the field requires counts.
  const requiredOf = (id: string, rep: Record<string, unknown>) =>
    options.consistentReferences ? Object.fromEntries(Object.entries(rep).filter(([key]) => new RegExp(`\\b${key}\\b`).test(own.requiredFields.get(id) ?? ''))) : rep;

  const fieldResolver: GraphQLFieldResolver<WorldObject, unknown> = (source, args, _context, info) => {
    const parent = info.parentType.name;
    const field = info.fieldName;
    if (facts.keyFields.get(parent)?.has(field)) return keyValue(source, field, info.returnType);
    const id = `${parent}.${field}`;
    const seed = hash(
      [source.t, source.n, field, canonical(args), own.requires.has(id) ? canonical(requiredOf(id, source.rep ?? {})) : '', own.overridden.has(id) ? 'overridden' : ''].join('|'),
    );
    if (field.startsWith('failing') && seed % 3 !== 0) {
      throw new GraphQLError(`${field} failed for ${source.t} ${source.n}`, { extensions: { code: 'FIXTURE_FAILURE' } });
    }
    if (field.startsWith('brokenNonNull') && seed % 2 === 0) return null;
    return byKeyArgument(args, info.returnType) ?? produce(info.returnType, seed, source.n === 0 && source.t === ROOT[info.operation.operation]);
  };

  /** The entity a representation names, or null where there is no key or this subgraph has no such entity. */
  const identify = (rep: Record<string, unknown>): { t?: string; n: number } | null => {
    const keys = facts.keyFields.get(String(rep.__typename)) ?? new Set<string>();
    const entries = Object.entries(rep).filter(([field]) => keys.has(field));
    for (const [, value] of entries) {
      const match = typeof value === 'string' ? KEY_TEXT.exec(value) : null;
      if (match) return { t: match[1], n: Number(match[3]) };
    }
    for (const [, value] of entries) if (typeof value === 'number') return { n: value };
    // Only a nested key object carries n (its text names the nested type, not this one).
    for (const [, value] of entries) {
      if (!value || typeof value !== 'object') continue;
      for (const inner of Object.values(value)) {
        const match = typeof inner === 'string' ? KEY_TEXT.exec(inner) : null;
        if (match) return { n: Number(match[3]) };
        if (typeof inner === 'number') return { n: inner };
      }
    }
    return null;
  };

  const resolveReference = (rep: Record<string, unknown>): WorldObject | null => {
    const typename = String(rep.__typename);
    const found = identify(rep);
    if (!found || (!options.consistentReferences && hash(`${name}|${found.t ?? typename}|${found.n}|absent`) % 12 === 0)) return null;
    const type = schema.getType(typename);
    if (isObjectType(type)) {
      const t = own.interfaceObjects.has(typename) ? found.t : typename;
      return t ? { t, n: found.n, rep } : null;
    }
    // An entity interface: the concrete type must be one this subgraph implements it with.
    const concrete = found.t ? schema.getType(found.t) : undefined;
    if (!isObjectType(concrete) || !isAbstractType(type) || !schema.isSubType(type, concrete)) return null;
    return { __typename: concrete.name, t: concrete.name, n: found.n, rep };
  };

  const resolvers: Record<string, { __resolveReference: typeof resolveReference }> = {};
  for (const type of typesWithFields(document)) {
    if (directive(type, 'key').length) resolvers[type.name.value] = { __resolveReference: resolveReference };
  }
  schema = buildSubgraphSchema({ typeDefs: document, resolvers: resolvers as never });
  return {
    fixture: fixtureName,
    name,
    schema,
    fieldResolver,
    // Root fields hash on the canonical root name, so a renamed root type answers as the others do.
    rootValue: (operation) => ({ t: ROOT[operation], n: 0 }),
  };
}

const ROOT = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' } as const;

const ODD_TEXT = ['ünïcödé "quoted" \\ back\\slash', '中文 — 自贡', 'line\nbreak\ttab', '😀 emoji', '</script>&amp;'];

function scalar(name: string, seed: number): unknown {
  switch (name) {
    case 'Int':
      return (seed % 2001) - 1000;
    case 'Float':
      return ((seed % 200_001) - 100_000) / 100;
    case 'Boolean':
      return (seed & 1) === 1;
    case 'ID':
      return `id-${seed % 10_007}`;
    case 'String':
      return seed % 7 === 0 ? `${ODD_TEXT[seed % ODD_TEXT.length]} ${seed % 97}` : `s${(seed % 46_656).toString(36)}`;
    default:
      // Custom scalars pass through gateways untouched: objects whose key order must survive.
      switch (seed % 6) {
        case 0:
          return `${name.toLowerCase()}-${seed % 1000}`;
        case 1:
          return seed % 1000;
        case 2:
          return { zeta: seed % 7, alpha: [1, 'two', null], nested: { b: true, a: name } };
        case 3:
          return [seed % 3, { y: 1, x: 2 }];
        case 4:
          return (seed & 8) === 8;
        default:
          return (seed % 1000) / 8;
      }
  }
}
