import type { Identity } from '@zigong/platform';
import {
  type ASTNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  getNamedType,
  getNullableType,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionNode,
  TypeInfo,
  validate,
  valueFromASTUntyped,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { SupergraphManager } from '@apollo/gateway';
import { LRUCache } from 'lru-cache';

/** Apollo Router's code for a field or type its authorization directives removed from an operation. */
export const UNAUTHORIZED = 'UNAUTHORIZED_FIELD_OR_TYPE';

/** `filter` answers the rest of the operation, the removed fields null; `reject` refuses the whole request. */
export type AuthorizationMode = 'filter' | 'reject';

/**
 * What one type or field of the supergraph demands, every part at once (directives on one
 * element are ANDed). Each list of lists is an OR of AND-lists, as in Apollo's specs.
 */
export interface Requirement {
  authenticated: boolean;
  scopes: string[][];
  policies: string[][];
}

/** What a deployment's policy module is asked: may this caller read this coordinate under this policy? */
export interface PolicyRequest {
  policy: string;
  identity: Identity | null;
  /** The type, and the field when the directive is on a field. */
  type: string;
  field?: string;
  /** The subgraphs that resolve the coordinate (the supergraph's join directives), lower case. */
  subgraphs: string[];
}

/** A deployment's policies (AUTHORIZATION_POLICIES): a module exporting `decide`. */
export interface PolicyModule {
  decide(request: PolicyRequest): boolean;
}

interface Guarded {
  requirement: Requirement;
  subgraphs: string[];
}

/** The supergraph's authorization directives, by `Type` and `Type.field`; read once per supergraph. */
export interface AuthorizationModel {
  schema: GraphQLSchema;
  types: Map<string, Guarded>;
  fields: Map<string, Guarded>;
  /** Coordinates under `@policy`, with the policies named there: what each request's caller is asked about. */
  policyCoordinates: Array<{ coordinate: string; type: string; field?: string; subgraphs: string[]; policies: string[] }>;
}

const SPECS: Record<string, RegExp> = {
  authenticated: /^https:\/\/specs\.apollo\.dev\/authenticated\/v/,
  requiresScopes: /^https:\/\/specs\.apollo\.dev\/requiresScopes\/v/,
  policy: /^https:\/\/specs\.apollo\.dev\/policy\/v/,
};

const argsOf = (directive: DirectiveNode) => Object.fromEntries((directive.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)]));

/** The names the supergraph gives the three directives (a `@link` may rename them with `as`). */
function directiveNames(document: DocumentNode): Record<keyof typeof SPECS, string | undefined> {
  const names: Record<string, string | undefined> = {};
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const args = argsOf(link);
      for (const [spec, url] of Object.entries(SPECS)) {
        if (typeof args.url === 'string' && url.test(args.url)) names[spec] = typeof args.as === 'string' ? args.as : spec;
      }
    }
  }
  return names as Record<keyof typeof SPECS, string | undefined>;
}

const groupsOf = (value: unknown): string[][] => (Array.isArray(value) ? value.map((group) => (Array.isArray(group) ? group.map(String) : [String(group)])) : []);

/** The graphs a type or field is resolved by: its own `@join__field`s, else its type's `@join__type`s. */
function graphsOf(directives: readonly DirectiveNode[] | undefined, graphNames: Map<string, string>): string[] {
  const graphs = new Set<string>();
  for (const directive of directives ?? []) {
    if (directive.name.value !== 'join__field' && directive.name.value !== 'join__type') continue;
    const graph = argsOf(directive).graph;
    if (typeof graph === 'string') graphs.add(graphNames.get(graph) ?? graph.toLowerCase());
  }
  return [...graphs];
}

/** Reads the directives of a composed supergraph against its API schema. */
export function authorizationModelOf(supergraphSdl: string, schema: GraphQLSchema): AuthorizationModel {
  const document = parse(supergraphSdl);
  const names = directiveNames(document);
  const model: AuthorizationModel = { schema, types: new Map(), fields: new Map(), policyCoordinates: [] };
  if (!names.authenticated && !names.requiresScopes && !names.policy) return model;
  // join__Graph's values name the subgraphs: FINANCE @join__graph(name: "finance", url: …).
  const graphNames = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const graph = value.directives?.find((d) => d.name.value === 'join__graph');
      if (graph) graphNames.set(value.name.value, String(argsOf(graph).name));
    }
  }
  const requirementOf = (directives: readonly DirectiveNode[] | undefined): Requirement | undefined => {
    const requirement: Requirement = { authenticated: false, scopes: [], policies: [] };
    let any = false;
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name === names.authenticated) requirement.authenticated = true;
      else if (name === names.requiresScopes) requirement.scopes = andOf(requirement.scopes, groupsOf(argsOf(directive).scopes));
      else if (name === names.policy) requirement.policies = andOf(requirement.policies, groupsOf(argsOf(directive).policies));
      else continue;
      any = true;
    }
    return any ? requirement : undefined;
  };
  const remember = (type: string, field: string | undefined, requirement: Requirement, subgraphs: string[]) => {
    const coordinate = field ? `${type}.${field}` : type;
    (field ? model.fields : model.types).set(coordinate, { requirement, subgraphs });
    const policies = [...new Set(requirement.policies.flat())];
    if (policies.length) model.policyCoordinates.push({ coordinate, type, field, subgraphs, policies });
  };
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name || !('directives' in definition)) continue;
    const type = definition.name.value;
    if (!schema.getType(type)) continue; // not in the API schema (@inaccessible, join__*)
    const typeGraphs = graphsOf(definition.directives, graphNames);
    const own = requirementOf(definition.directives);
    if (own) remember(type, undefined, own, typeGraphs);
    if (!('fields' in definition) || definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      const requirement = requirementOf(field.directives);
      if (!requirement) continue;
      const fieldGraphs = graphsOf(field.directives, graphNames);
      remember(type, field.name.value, requirement, fieldGraphs.length ? fieldGraphs : typeGraphs);
    }
  }
  return model;
}

/** `(a OR b) AND (c OR d)` as an OR of AND-lists: two directives of one kind on one element must both be satisfied. */
function andOf(current: string[][], more: string[][]): string[][] {
  if (current.length === 0) return more;
  return current.flatMap((left) => more.map((right) => [...new Set([...left, ...right])]));
}

/** Who asks: what the requirements are checked against. */
export interface Caller {
  authenticated: boolean;
  scopes: ReadonlySet<string>;
  /** Granted `policy@coordinate` pairs (the policy module's answers for this caller). */
  granted: ReadonlySet<string>;
}

function satisfies(guarded: Guarded | undefined, coordinate: string, caller: Caller): boolean {
  if (!guarded) return true;
  const { authenticated, scopes, policies } = guarded.requirement;
  if ((authenticated || scopes.length || policies.length) && !caller.authenticated) return false;
  if (scopes.length && !scopes.some((group) => group.every((scope) => caller.scopes.has(scope)))) return false;
  if (policies.length && !policies.some((group) => group.every((policy) => caller.granted.has(`${policy}@${coordinate}`)))) return false;
  return true;
}

/** A type may be read when it, and (for an interface or union) every type it may be, is granted. */
function typeAllowed(model: AuthorizationModel, type: GraphQLNamedType, caller: Caller): boolean {
  const types = isAbstractType(type) ? [type, ...model.schema.getPossibleTypes(type)] : [type];
  return types.every((t) => satisfies(model.types.get(t.name), t.name, caller));
}

/**
 * A field may be read when the caller satisfies the field's own directives, its return type's, and,
 * on an interface, the same field of every implementation's: an interface field might resolve to
 * any of them (Apollo Router's rule).
 */
function fieldAllowed(model: AuthorizationModel, parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>, caller: Caller): boolean {
  if (field.name.startsWith('__')) return true; // introspection and __typename are never guarded
  const owners = isInterfaceType(parent) ? [parent, ...model.schema.getPossibleTypes(parent)] : [parent];
  for (const owner of owners) {
    const coordinate = `${owner.name}.${field.name}`;
    if (!satisfies(model.fields.get(coordinate), coordinate, caller)) return false;
  }
  return typeAllowed(model, getNamedType(field.type), caller);
}

/** What filtering an operation did. `text` is what is planned; `removed` holds the original document's nodes taken out. */
export interface Filtered {
  changed: boolean;
  /** The document to plan: the client's own text when nothing was removed. */
  text: string;
  document: DocumentNode;
  /** Fields, inline fragments and fragment spreads of the client's document that were removed. */
  removed: ReadonlySet<ASTNode>;
}

/** The response key under which the gateway learns an object's concrete type where a removal depends on it. */
export const TYPENAME_KEY = 'zigong__typename';

/**
 * Removes from a document every field (and fragment on a type) the caller may not read.
 * A selection left empty keeps `__typename`, so its parent still answers (the removed children
 * null), and variables and fragments nothing uses any more are dropped, so the rest stays valid.
 */
export function filterDocument(model: AuthorizationModel, document: DocumentNode, text: string, caller: Caller): Filtered {
  const removed = new Set<ASTNode>();
  if (model.types.size === 0 && model.fields.size === 0) return { changed: false, text, document, removed };
  // An invalid document is Apollo's to refuse, with locations in the client's own text.
  if (validate(model.schema, document).length) return { changed: false, text, document, removed };
  const typeInfo = new TypeInfo(model.schema);
  let changed = false;
  const edited = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet: {
        // Used only when something was removed: every abstract selection then tells the concrete
        // type, which says whether a removed field's fragment applied to an object.
        leave: (node) => {
          const parent = typeInfo.getParentType();
          let selections = node.selections;
          if (selections.length === 0) selections = [typenameField()];
          if (parent && isAbstractType(parent)) selections = [...selections, typenameField(TYPENAME_KEY)];
          return selections === node.selections ? undefined : { ...node, selections };
        },
      },
      Field: {
        enter: (node) => {
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (!parent || !field || fieldAllowed(model, parent, field, caller)) return undefined;
          changed = true;
          removed.add(node);
          return null;
        },
      },
      InlineFragment: {
        enter: (node) => {
          const type = typeInfo.getType();
          const named = type && getNamedType(type);
          if (!node.typeCondition || !named || typeAllowed(model, named, caller)) return undefined;
          changed = true;
          removed.add(node);
          return null;
        },
      },
      FragmentSpread: {
        enter: (node) => {
          const fragment = fragmentOf(document, node.name.value);
          const named = fragment && model.schema.getType(fragment.typeCondition.name.value);
          if (!named || typeAllowed(model, named, caller)) return undefined;
          changed = true;
          removed.add(node);
          return null;
        },
      },
    }),
  );
  if (!changed) return { changed, text, document, removed };
  const pruned = pruneUnused(edited);
  return { changed, text: print(pruned), document: pruned, removed };
}

function typenameField(alias?: string): FieldNode {
  return { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' }, ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}) };
}

function fragmentOf(document: DocumentNode, name: string): FragmentDefinitionNode | undefined {
  return document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
}

/** Drops fragment definitions no operation reaches and variable definitions an operation no longer uses. */
function pruneUnused(document: DocumentNode): DocumentNode {
  const spreadsIn = (node: ASTNode) => {
    const names = new Set<string>();
    visit(node, { FragmentSpread: (spread) => void names.add(spread.name.value) });
    return names;
  };
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const reachedFrom = (operation: OperationDefinitionNode) => {
    const reached = new Set<string>();
    const pending = [...spreadsIn(operation)];
    while (pending.length) {
      const name = pending.pop()!;
      if (reached.has(name) || !fragments.has(name)) continue;
      reached.add(name);
      pending.push(...spreadsIn(fragments.get(name)!));
    }
    return reached;
  };
  const used = new Set<string>();
  const definitions = document.definitions.map((definition) => {
    if (definition.kind !== Kind.OPERATION_DEFINITION) return definition;
    const reached = reachedFrom(definition);
    reached.forEach((name) => used.add(name));
    const variables = new Set<string>();
    for (const node of [definition.selectionSet, ...[...reached].map((name) => fragments.get(name)!)]) {
      visit(node, { Variable: (variable) => void variables.add(variable.name.value) });
    }
    for (const directive of definition.directives ?? []) visit(directive, { Variable: (variable) => void variables.add(variable.name.value) });
    const kept = definition.variableDefinitions?.filter((v) => variables.has(v.variable.name.value));
    return kept?.length === definition.variableDefinitions?.length ? definition : { ...definition, variableDefinitions: kept };
  });
  return { ...document, definitions: definitions.filter((d) => d.kind !== Kind.FRAGMENT_DEFINITION || used.has(d.name.value)) };
}

interface PatchError {
  message: string;
  path: Array<string | number>;
  extensions: { code: string };
}

const unauthorizedError = (path: Array<string | number>): PatchError => ({
  message: 'Unauthorized field or type',
  path,
  extensions: { code: UNAUTHORIZED },
});

const BUBBLE = Symbol('null bubbles up');

/**
 * Puts the removed fields back into an answer to the filtered operation, as the client's operation
 * would have had them: `null` (a removed non-null field nulling its parent as graphql-js's null
 * bubbling would), keys in the client's order, and an UNAUTHORIZED_FIELD_OR_TYPE error for each
 * removed field at its path in the query. `data` is changed in place; the errors to add are returned.
 */
export function restoreRemoved(
  model: AuthorizationModel,
  filtered: Filtered,
  original: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  result: { data?: Record<string, unknown> | null },
): PatchError[] {
  const errors: PatchError[] = [];
  if (!('data' in result)) return errors; // refused before execution: nothing ran to be filtered
  const operations = original.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return errors;
  const root = model.schema.getRootType(operation.operation);
  if (!root) return errors;
  const fragments = new Map(original.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const included = (node: FieldNode | InlineFragmentNode | FragmentSpreadNode) => {
    for (const directive of node.directives ?? []) {
      const value = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      if (!value) continue;
      const truth = value.kind === Kind.VARIABLE ? Boolean(variables?.[value.name.value]) : value.kind === Kind.BOOLEAN && value.value;
      if (directive.name.value === 'skip' && truth) return false;
      if (directive.name.value === 'include' && !truth) return false;
    }
    return true;
  };
  const applies = (condition: string | undefined, type: GraphQLNamedType) => {
    if (!condition || condition === type.name) return true;
    const conditionType = model.schema.getType(condition);
    return !!conditionType && isAbstractType(conditionType) && isObjectType(type) && model.schema.isSubType(conditionType, type);
  };
  /**
   * A response key of a selection for one concrete type: its field nodes, whether every one of them
   * was removed, and (worked out once per answer, not per object) what it selects for each type.
   */
  type Entry = { nodes: FieldNode[]; removed: boolean; field?: GraphQLField<unknown, unknown>; below?: Map<string, Map<string, Entry>> };
  const collect = (type: GraphQLNamedType, selections: readonly SelectionNode[], denied: boolean, into: Map<string, Entry>) => {
    for (const selection of selections) {
      if (!included(selection)) continue;
      const isDenied = denied || filtered.removed.has(selection);
      if (selection.kind === Kind.FIELD) {
        const key = (selection.alias ?? selection.name).value;
        let entry = into.get(key);
        if (!entry) {
          const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : undefined;
          into.set(key, (entry = { nodes: [], removed: true, field: fields?.[selection.name.value] }));
        }
        if (!isDenied) entry.removed = false;
        if (!isDenied) entry.nodes.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value, type)) collect(type, selection.selectionSet.selections, isDenied, into);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && applies(fragment.typeCondition.name.value, type)) collect(type, fragment.selectionSet.selections, isDenied, into);
      }
    }
    return into;
  };
  const entriesBelow = (holder: Pick<Entry, 'nodes' | 'below'>, type: GraphQLNamedType) => {
    holder.below ??= new Map();
    let entries = holder.below.get(type.name);
    if (!entries) {
      holder.below.set(type.name, (entries = new Map()));
      for (const node of holder.nodes) if (node.selectionSet) collect(type, node.selectionSet.selections, false, entries);
    }
    return entries;
  };
  const completeValue = (type: GraphQLOutputType, entry: Entry, value: unknown): unknown => {
    if (value === null || value === undefined) return value;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      const list = value as unknown[];
      for (let i = 0; i < list.length; i++) {
        const item = completeValue(nullable.ofType, entry, list[i]);
        if (item === BUBBLE) {
          if (isNonNullType(nullable.ofType)) return BUBBLE;
          list[i] = null;
        } else list[i] = item;
      }
      return list;
    }
    if (!isCompositeType(nullable)) return value;
    const object = value as Record<string, unknown>;
    const typename = (object[TYPENAME_KEY] ?? object.__typename) as string | undefined;
    const concrete = isAbstractType(nullable) ? (typename && model.schema.getType(typename)) || nullable : nullable;
    return completeObject(entriesBelow(entry, concrete), object);
  };
  const completeObject = (entries: Map<string, Entry>, object: Record<string, unknown>): unknown => {
    const shaped: Record<string, unknown> = {};
    for (const [key, entry] of entries) {
      const { removed, field } = entry;
      if (removed) {
        if (field && isNonNullType(field.type)) return BUBBLE;
        shaped[key] = null;
        continue;
      }
      if (!(key in object)) continue;
      const value = field ? completeValue(field.type, entry, object[key]) : object[key];
      if (value === BUBBLE) {
        if (field && isNonNullType(field.type)) return BUBBLE;
        shaped[key] = null;
      } else shaped[key] = value;
    }
    return shaped;
  };
  // One error per removed field of the operation as it runs (@skip and @include applied), at its
  // path in the query, `@` standing for a list's items: Apollo Router's form, whatever the data.
  const seen = new Set<string>();
  const walk = (type: GraphQLNamedType | undefined, selections: readonly SelectionNode[], prefix: string[], denied: boolean) => {
    for (const selection of selections) {
      if (!included(selection)) continue;
      const isDenied = denied || filtered.removed.has(selection);
      if (selection.kind === Kind.FIELD) {
        const key = (selection.alias ?? selection.name).value;
        if (isDenied) {
          const path = [...prefix, key];
          if (!seen.has(path.join('\u0000'))) seen.add(path.join('\u0000')), errors.push(unauthorizedError(path));
          continue;
        }
        const field = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[selection.name.value] : undefined;
        if (!field || !selection.selectionSet) continue;
        walk(getNamedType(field.type), selection.selectionSet.selections, [...prefix, key, ...(isListType(getNullableType(field.type)) ? ['@'] : [])], false);
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) continue;
        const condition = fragment.typeCondition ? model.schema.getType(fragment.typeCondition.name.value) : type;
        walk(condition ?? undefined, fragment.selectionSet.selections, prefix, isDenied);
      }
    }
  };
  walk(root, operation.selectionSet.selections, [], false);
  if (!result.data) return errors;
  const data = completeObject(collect(root, operation.selectionSet.selections, false, new Map()), result.data);
  result.data = data === BUBBLE ? null : (data as Record<string, unknown>);
  return errors;
}

/** The caller as requirements see it; the policy module is asked about each `@policy` coordinate once per request. */
export function callerOf(model: AuthorizationModel, identity: Identity | null, policies: PolicyModule | undefined): Caller {
  const granted = new Set<string>();
  if (identity && policies) {
    for (const { coordinate, type, field, subgraphs, policies: names } of model.policyCoordinates) {
      for (const policy of names) {
        if (policies.decide({ policy, identity, type, field, subgraphs })) granted.add(`${policy}@${coordinate}`);
      }
    }
  }
  return { authenticated: identity !== null, scopes: new Set(identity?.scopes ?? []), granted };
}

/** A key that tells callers apart exactly as far as the model does: their scopes, sign-in and granted policies. */
export function callerKey(caller: Caller): string {
  return `${caller.authenticated ? 1 : 0}\u0000${[...caller.scopes].sort().join(' ')}\u0000${[...caller.granted].sort().join(' ')}`;
}

/**
 * Filters each (document, caller) once: the plans Apollo caches are keyed by the filtered text, so
 * the bounded LRU here is what stands between a busy gateway and re-walking every request.
 */
export function documentFilter(capacity = 2_000) {
  let model: AuthorizationModel | undefined;
  const cache = new LRUCache<string, Filtered>({ max: capacity });
  return {
    update(next: AuthorizationModel) {
      model = next;
      cache.clear();
    },
    model: () => model,
    filter(document: DocumentNode, text: string, caller: Caller): Filtered | undefined {
      if (!model || (model.types.size === 0 && model.fields.size === 0)) return undefined;
      const key = `${callerKey(caller)}\u0000${text}`;
      let filtered = cache.get(key);
      if (!filtered) cache.set(key, (filtered = filterDocument(model, document, text, caller)));
      return filtered;
    },
  };
}

const SECURITY_LINK = /(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:authenticated|requiresScopes|policy)\/v[0-9.]+"), for: SECURITY\)/g;

/**
 * @apollo/gateway 2.14 refuses a supergraph that links a `for: SECURITY` feature it does not
 * implement, and it implements none of the authorization directives (Apollo Router does). This
 * gateway enforces them itself, before Apollo sees an operation, so Apollo is handed the same
 * supergraph with those three links' purpose left out: it then ignores them, as it ignores any
 * other linked feature, and its API schema drops them. Anything else (another SECURITY feature)
 * is still Apollo's to refuse.
 */
export function withoutAuthorizationPurpose(sdl: string): string {
  return sdl.replace(SECURITY_LINK, '$1)');
}

/**
 * Hands Apollo supergraphs without the authorization links' purpose, and remembers the original of
 * the last few, so what the gateway reports as served (/ready, SUPERGRAPH_CACHE_PATH) is the
 * registry's supergraph byte for byte.
 */
export function apolloReadable() {
  const originals = new LRUCache<string, string>({ max: 4 });
  const readable = (sdl: string) => {
    const result = withoutAuthorizationPurpose(sdl);
    originals.set(result, sdl);
    return result;
  };
  return {
    sdl: readable,
    manager: (manager: SupergraphManager): SupergraphManager => ({
      async initialize(options) {
        const started = await manager.initialize({ ...options, update: (sdl) => options.update(readable(sdl)) });
        return { ...started, supergraphSdl: readable(started.supergraphSdl) };
      },
    }),
    original: (sdl: string) => originals.get(sdl) ?? sdl,
  };
}
