import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { operationFromDocument, type Schema, Supergraph } from '@apollo/federation-internals';
import { type PlanNode, QueryPlanner } from '@apollo/query-planner';
import {
  answerType,
  type Identity,
  inSpan,
  inSpanSync,
  isJsonBody,
  type Logger,
  plainGraphQLBody,
  platformErrorFormatter,
} from '@zigong/platform';
import {
  DirectiveLocation,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  getOperationAST,
  getVariableValues,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLError,
  type GraphQLFormattedError,
  GraphQLNonNull,
  GraphQLSchema,
  GraphQLString,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  specifiedRules,
  validate,
  visit,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { GatewayContext } from './datasource';
import { costExtension, type CostModel, type DemandLimits, EMPTY_COST_MODEL, estimateCost } from './demand-control';
import type { ParsedQuery } from './documents';
import type { RanShortcut } from './usage';

/** What Apollo Client 3.7+ and 4 (Defer20220824Handler) read, as Apollo Server writes it. */
/** An answer in one piece: the JSON of a client that does not stream, or the only part of one whose operation lost fields to authorization. */
export interface WholeAnswer {
  errors?: GraphQLFormattedError[];
  data?: Record<string, unknown> | null;
  extensions?: Record<string, unknown>;
}

export const DEFER_CONTENT_TYPE = 'multipart/mixed; boundary="-"; deferSpec=20220824';
const PART_HEAD = 'content-type: application/json; charset=utf-8\r\n\r\n';
/** Labels the route gives unlabelled fragments, so each plan block maps to its fragment; never sent. */
const OWN_LABEL = 'zigong:defer:';

export interface DeferRouteOptions {
  parseQuery: (query: string) => ParsedQuery | null;
  limits: DemandLimits;
  /** The gateway's data sources by subgraph name: the same signing, identity headers and dedupe as Apollo's route. */
  dataSources: () => ServiceMap;
  identity: (req: IncomingMessage) => Promise<Identity | null>;
  allowAnonymousReads: boolean;
  logger: Logger;
  /** Errors of an answer, as they are sent, for the error metrics Apollo's plugin keeps on its route. */
  onErrors?: (operationName: string | undefined, errors: GraphQLFormattedError[]) => void;
  capacity?: number;
}

/** The schemas @apollo/gateway itself executes with, so its result shaping (ours, where on) applies alike. */
export interface GatewaySchemas {
  /** The API schema as graphql-js sees it (Apollo's `gateway.schema`). */
  schema: GraphQLSchema;
  /** federation-internals' API schema (`gateway.apiSchema`). */
  apiSchema: Schema;
  /** The supergraph as graphql-js sees it (`gateway.supergraphSchema`). */
  supergraphSchema: GraphQLSchema;
}

/** One deferred fragment of the plan, and the plan that completes it (its parents' included). */
interface Block {
  label: string;
  /** The labels of the blocks sent before it. */
  requires: string[];
  plan?: PlanNode;
}

/** What is worked out once per (query, operation name, which @defer are on). */
interface Prepared {
  /** The plan of the primary part: every Defer node's primary. */
  primary?: PlanNode;
  /** The plan of the operation without @defer: what a client that does not stream is answered. */
  whole?: PlanNode;
  blocks: Block[];
  /** Per label: the response-key paths where its fragment sits, the response keys it selects, the deferred fragments it sits in. */
  fragments: Map<string, { positions: string[][]; keys: Set<string>; enclosing: Set<string> }>;
  /** Per block label, the document that releases it (and its parents) and leaves out every other deferred fragment. */
  documents: Map<string, DocumentNode>;
  primaryDocument: DocumentNode;
  wholeDocument: DocumentNode;
}

const isDefer = (d: DirectiveNode) => d.name.value === 'defer';

/** @defer as the incremental delivery spec defines it (graphql 16 has no definition of its own). */
const DEFER_DIRECTIVE = new GraphQLDirective({
  name: 'defer',
  locations: [DirectiveLocation.FRAGMENT_SPREAD, DirectiveLocation.INLINE_FRAGMENT],
  args: { label: { type: GraphQLString }, if: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: true } },
});

/**
 * The API schema with @defer, for the steps before this route that validate a document (field
 * authorization): a deferred operation is valid, and must be filtered like any other.
 */
export function withDefer(schema: GraphQLSchema): GraphQLSchema {
  if (schema.getDirective('defer')) return schema;
  return new GraphQLSchema({ ...schema.toConfig(), directives: [...schema.getDirectives(), DEFER_DIRECTIVE] });
}

/** True when the document uses @defer anywhere (cheap: the text is checked first). */
export function usesDefer(query: string, document: DocumentNode | undefined): boolean {
  if (!/@\s*defer\b/.test(query) || !document) return false;
  let found = false;
  visit(document, {
    Directive(node) {
      if (isDefer(node)) found = true;
    },
  });
  return found;
}

class Refused extends GraphQLError {
  constructor(message: string, code: string, readonly status = 400) {
    super(message, { extensions: { code } });
  }
}

/** The `if` of a @defer, with the request's variables: off only where it is false. */
function deferOn(directive: DirectiveNode, variables: Record<string, unknown>): boolean {
  const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
  if (!condition) return true;
  if (condition.kind === Kind.BOOLEAN) return condition.value;
  if (condition.kind === Kind.VARIABLE) return variables[condition.name.value] !== false;
  return true;
}

/**
 * Every @defer that is on gets a label (the client's, else one of ours) and loses its `if`; one
 * that is off is removed, its fragment answered with the rest.
 */
function labelled(document: DocumentNode, variables: Record<string, unknown>): { document: DocumentNode; off: string } {
  let counter = 0;
  const off: number[] = [];
  const seen = new Set<string>();
  const result = visit(document, {
    Directive(node) {
      if (!isDefer(node)) return undefined;
      const index = counter++;
      if (!deferOn(node, variables)) {
        off.push(index);
        return null;
      }
      const given = node.arguments?.find((a) => a.name.value === 'label')?.value;
      if (given && given.kind !== Kind.STRING) throw new Refused('A @defer label must be a string literal.', 'GRAPHQL_VALIDATION_FAILED');
      const label = given?.value ?? `${OWN_LABEL}${index}`;
      if (seen.has(label)) throw new Refused(`The @defer label "${label}" is used twice; labels must be unique.`, 'GRAPHQL_VALIDATION_FAILED');
      seen.add(label);
      return { ...node, arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'label' }, value: { kind: Kind.STRING, value: label } }] };
    },
  });
  return { document: result, off: off.join(',') };
}

const labelOf = (directives: readonly DirectiveNode[] | undefined): string | undefined => {
  const directive = directives?.find(isDefer);
  const value = directive?.arguments?.find((a) => a.name.value === 'label')?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
};

const SKIPPED: DirectiveNode = {
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: 'skip' },
  arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'if' }, value: { kind: Kind.BOOLEAN, value: true } }],
};

/**
 * The document with the deferred fragments of `released` answered in place (@defer removed) and
 * every other one skipped (`@skip(if: true)`, not removed: a selection set left empty is not an
 * operation Apollo's executor takes); 'all' releases every one.
 */
function releasing(document: DocumentNode, released: Set<string> | 'all'): DocumentNode {
  const keep = (node: { directives?: readonly DirectiveNode[] }) => {
    const label = labelOf(node.directives);
    if (label === undefined) return undefined;
    if (released !== 'all' && !released.has(label)) return { ...node, directives: [SKIPPED] };
    return { ...node, directives: node.directives!.filter((d) => !isDefer(d)) };
  };
  return visit(document, { InlineFragment: keep, FragmentSpread: keep });
}

/**
 * Where each deferred fragment sits (response-key paths from the root, through named fragments)
 * and which response keys it selects itself (a nested deferred fragment's are its own).
 */
function fragmentsOf(document: DocumentNode, operation: OperationDefinitionNode): Prepared['fragments'] {
  const named = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) named.set(d.name.value, d);
  const found: Prepared['fragments'] = new Map();
  const keysOf = (set: SelectionSetNode, keys: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) keys.add(selection.alias?.value ?? selection.name.value);
      else if (labelOf(selection.directives) !== undefined) continue;
      else if (selection.kind === Kind.INLINE_FRAGMENT) keysOf(selection.selectionSet, keys);
      else {
        const fragment = named.get(selection.name.value);
        if (fragment) keysOf(fragment.selectionSet, keys);
      }
    }
    return keys;
  };
  const walk = (set: SelectionSetNode, path: string[], enclosing: string[]) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.selectionSet) walk(selection.selectionSet, [...path, selection.alias?.value ?? selection.name.value], enclosing);
        continue;
      }
      const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : named.get(selection.name.value)?.selectionSet;
      if (!inner) continue;
      const label = labelOf(selection.directives);
      if (label !== undefined) {
        const entry = found.get(label) ?? { positions: [], keys: keysOf(inner, new Set()), enclosing: new Set<string>() };
        entry.positions.push(path);
        for (const outer of enclosing) entry.enclosing.add(outer);
        found.set(label, entry);
      }
      walk(inner, path, label === undefined ? enclosing : [...enclosing, label]);
    }
  };
  walk(operation.selectionSet, [], []);
  return found;
}

/**
 * A fragment deferred at the root is fetched as `{...on Query{...}}`, which a subgraph whose
 * query type has another name (`schema { query: RootQuery }`) refuses. In a fetch from the root
 * the condition says nothing (the selection is on the query type already), so it is dropped.
 */
function rootFetch(node: PlanNode): PlanNode | undefined {
  const fetch = node.kind === 'Fetch' ? node : node.kind === 'Flatten' && !node.path.length && node.node.kind === 'Fetch' ? node.node : undefined;
  if (!fetch || fetch.requires?.length || !fetch.operation.includes('...on Query')) return undefined;
  return { ...fetch, operation: fetch.operation.replace(/\.\.\.on Query(?=[{@])/g, '...') };
}

type Merge = (target: Record<string, unknown>, source: Record<string, unknown> | null | undefined) => Record<string, unknown>;

/** Lists are merged item by item at any depth (lists of lists included); anything else as Apollo does. */
function mergeDeep(target: Record<string, unknown>, source: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (source === undefined || source === null) return target;
  const item = (into: unknown, from: unknown): unknown => {
    if (from === undefined) return into;
    if (isObjectValue(into) && isObjectValue(from)) return mergeDeep(into, from);
    if (Array.isArray(into) && Array.isArray(from) && into.length === from.length) {
      from.forEach((value, i) => (into[i] = item(into[i], value)));
      return into;
    }
    return from;
  };
  for (const key of Object.keys(source)) {
    if (source[key] === undefined) continue;
    target[key] = Object.prototype.hasOwnProperty.call(target, key) ? item(target[key], source[key]) : source[key];
  }
  return target;
}
const isObjectValue = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const inDeferredPart = new AsyncLocalStorage<true>();

/**
 * @apollo/gateway merges a fetch's answer into what earlier fetches wrote with a deepMerge that
 * replaces a list of lists whole. Plans without @defer never fetch one list-of-lists field twice;
 * a deferred part does (the primary part's copy and its own), and lost the first's items. Inside
 * this route's runs only, lists are merged item by item at any depth; every other route keeps
 * Apollo's merge untouched.
 */
function mergeListsOfLists(): void {
  const module = require(require.resolve('@apollo/gateway/dist/utilities/deepMerge.js')) as { deepMerge: Merge & { deferAware?: true } };
  if (module.deepMerge.deferAware) return;
  const apollo = module.deepMerge;
  const merge: Merge & { deferAware?: true } = (target, source) => (inDeferredPart.getStore() ? mergeDeep(target, source) : apollo(target, source));
  merge.deferAware = true;
  module.deepMerge = merge;
}

/** The plan without its deferred parts: each Defer node becomes its primary part. */
function primaryOf(node: PlanNode | undefined): PlanNode | undefined {
  if (!node) return undefined;
  const root = rootFetch(node);
  if (root) return root;
  switch (node.kind) {
    case 'Defer':
      return primaryOf(node.primary.node);
    case 'Sequence':
    case 'Parallel': {
      const nodes = node.nodes.map(primaryOf).filter((n): n is PlanNode => n !== undefined);
      return nodes.length ? { ...node, nodes } : undefined;
    }
    case 'Flatten': {
      const inner = primaryOf(node.node);
      return inner && { ...node, node: inner };
    }
    case 'Condition':
      return { ...node, ifClause: primaryOf(node.ifClause), elseClause: primaryOf(node.elseClause) };
    default:
      return node;
  }
}

function sequence(first: PlanNode | undefined, then: PlanNode | undefined, kind: 'Sequence' | 'Parallel' = 'Sequence'): PlanNode | undefined {
  if (!first) return then;
  if (!then) return first;
  return { kind, nodes: [first, then] };
}

/** A deferred node of the plan, before its plan is put together. */
interface Found {
  label: string;
  own?: PlanNode;
  /** Blocks that must be complete before this one: the block the planner nested it in, and those whose fetches it depends on. */
  requires: Set<string>;
  independent: boolean;
}

/** Every deferred node of a plan, wherever the planner put it. */
function deferredOf(node: PlanNode | undefined, parent: string | undefined, into: Map<string, Found>): Map<string, Found> {
  if (!node) return into;
  switch (node.kind) {
    case 'Defer':
      deferredOf(node.primary.node, parent, into);
      for (const deferred of node.deferred) {
        if (deferred.label === undefined) throw new Refused('A deferred fragment of the plan has no label.', 'DEFER_UNSUPPORTED');
        const requires = new Set<string>(parent === undefined ? [] : [parent]);
        for (const { deferLabel } of deferred.depends) if (deferLabel !== undefined) requires.add(deferLabel);
        into.set(deferred.label, { label: deferred.label, own: primaryOf(deferred.node), requires, independent: parent === undefined && deferred.depends.length === 0 });
        deferredOf(deferred.node, deferred.label, into);
      }
      return into;
    case 'Sequence':
    case 'Parallel':
      for (const inner of node.nodes) deferredOf(inner, parent, into);
      return into;
    case 'Condition':
      deferredOf(node.ifClause, parent, into);
      deferredOf(node.elseClause, parent, into);
      return into;
    case 'Flatten':
      if (JSON.stringify(node).includes('"kind":"Defer"')) throw new Refused('This use of @defer is not supported by the gateway.', 'DEFER_UNSUPPORTED');
      return into;
    default:
      return into;
  }
}

/**
 * The deferred blocks of a plan, each with the plan that completes it: the primary part, then
 * every block it needs (the ones it is nested in, in the plan or in the operation, and the ones
 * whose fetches it depends on), parents first, then its own fetches (beside the primary part
 * where it needs nothing). Run on one request's memoised data sources, the fetches the plans
 * share are sent once.
 */
function blocksOf(root: PlanNode | undefined, primary: PlanNode | undefined, enclosing: Map<string, string[]>): Block[] {
  const found = deferredOf(root, undefined, new Map());
  const closure = new Map<string, string[]>();
  const needs = (label: string, visiting = new Set<string>()): string[] => {
    const known = closure.get(label);
    if (known) return known;
    if (visiting.has(label)) throw new Refused('The deferred fragments of this operation depend on each other in a cycle.', 'DEFER_UNSUPPORTED');
    visiting.add(label);
    const order: string[] = [];
    const direct = new Set([...(found.get(label)?.requires ?? []), ...(enclosing.get(label) ?? [])]);
    for (const required of direct) {
      if (!found.has(required)) continue;
      for (const before of [...needs(required, visiting), required]) if (!order.includes(before)) order.push(before);
    }
    visiting.delete(label);
    closure.set(label, order);
    return order;
  };
  return [...found.values()].map((block) => {
    const required = needs(block.label);
    let before = primary;
    for (const label of required) before = sequence(before, found.get(label)!.own);
    const independent = block.independent && required.length === 0;
    return { label: block.label, requires: required, plan: sequence(before, block.own, independent ? 'Parallel' : 'Sequence') };
  });
}

/**
 * Data sources that send each distinct subgraph request of one client request once: the primary
 * part and each deferred block run the plan's shared fetches again, and get the first answer (a
 * copy: Apollo's executor writes into what it is given).
 */
function memoised(sources: ServiceMap): ServiceMap {
  const answers = new Map<string, ReturnType<GraphQLDataSource['process']>>();
  const map: ServiceMap = Object.create(null);
  for (const [name, source] of Object.entries(sources)) {
    map[name] = {
      process(options) {
        const { query, variables, operationName } = options.request;
        const key = `${name}\n${operationName ?? ''}\n${query}\n${JSON.stringify(variables ?? null)}`;
        let answer = answers.get(key);
        if (!answer) answers.set(key, (answer = source.process(options)));
        return answer.then((response) => structuredClone(response));
      },
    };
  }
  return map;
}

/** The objects a path of response keys reaches in the data, with their concrete paths (list indexes included). */
function reach(data: unknown, keys: string[], at: Array<string | number> = [], out: Array<{ path: Array<string | number>; value: Record<string, unknown> }> = []) {
  if (Array.isArray(data)) {
    data.forEach((item, i) => reach(item, keys, [...at, i], out));
    return out;
  }
  if (data === null || typeof data !== 'object') return out;
  if (!keys.length) {
    out.push({ path: at, value: data as Record<string, unknown> });
    return out;
  }
  const [key, ...rest] = keys;
  return reach((data as Record<string, unknown>)[key], rest, [...at, key], out);
}

interface Incremental {
  data: Record<string, unknown>;
  path: Array<string | number>;
  label?: string;
  errors?: GraphQLFormattedError[];
}

/**
 * Operations with @defer, which @apollo/gateway refuses (its schema has no @defer, its executor
 * stops at the planner's Defer nodes, and Apollo Server streams only with graphql 17). Planned by
 * a second QueryPlanner with defer on (once per text), executed with Apollo's own executeQueryPlan
 * over the gateway's data sources, in parts: the plan's primary part first, answered as soon as
 * it is done; then each deferred fragment, by a plan that runs its prerequisites and its own
 * fetches on the same memoised data sources, so a subgraph is asked once whatever the parts
 * share. Each part's data is shaped by Apollo's (or our) result shaping against a document that
 * holds exactly the fragments released so far, so the parts merged are the answer the query
 * gets without @defer.
 *
 * A client that accepts `multipart/mixed` (deferSpec=20220824, or no spec) gets the parts as they
 * are ready; any other gets the whole answer as one JSON. Cost is estimated and refused for the
 * whole operation before anything runs (the rate limiter has charged it before this route).
 */
export function deferRoute(options: DeferRouteOptions) {
  mergeListsOfLists();
  let schemas: GatewaySchemas | undefined;
  let api: GraphQLSchema | undefined;
  let planner: QueryPlanner | undefined;
  let plannerApi: Schema | undefined;
  let costModel: CostModel = EMPTY_COST_MODEL;
  let prepared = new LRUCache<string, { value?: Prepared; error?: Refused }>({ max: options.capacity ?? 500 });
  const format = platformErrorFormatter(options.logger, 'gateway');
  const formatErrors = (errors: readonly unknown[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      const graphql = error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error));
      const formatted = graphql.toJSON();
      return format({ ...formatted, extensions: { ...formatted.extensions, code: formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR' } }, error);
    });

  const prepare = (query: string, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): Prepared => {
    const { document: labelledDocument, off } = labelled(document, variables);
    const key = `${operationName ?? ''}\n${off}\n${query}`;
    const known = prepared.get(key);
    if (known?.error) throw known.error;
    if (known?.value) return known.value;
    try {
      const value = inSpanSync('gateway.defer.plan', {}, () => plan(labelledDocument, operationName));
      prepared.set(key, { value });
      return value;
    } catch (error) {
      // What Apollo's route answers where the operation without @defer cannot be planned either: HTTP 500 with the planner's error.
      const refused =
        error instanceof Refused
          ? error
          : error instanceof GraphQLError
            ? new Refused(error.message, String(error.extensions.code ?? 'INTERNAL_SERVER_ERROR'), 500)
            : new Refused(`This use of @defer cannot be planned: ${(error as Error).message}`, 'DEFER_UNSUPPORTED');
      prepared.set(key, { error: refused });
      throw refused;
    }
  };

  const plan = (document: DocumentNode, operationName: string | undefined): Prepared => {
    const operation = getOperationAST(document, operationName)!;
    const planOf = (of: DocumentNode) => {
      const planned = planner!.buildQueryPlan(operationFromDocument(plannerApi!, of, { operationName })).node;
      if (planned?.kind === 'Subscription') throw new Refused('@defer is served on queries only.', 'DEFER_UNSUPPORTED');
      return planned;
    };
    const wholeDocument = releasing(document, 'all');
    // Not the deferred plan run in one piece: the plan of the operation without @defer, as Apollo's route makes it.
    const whole = planOf(wholeDocument);
    const fragments = fragmentsOf(document, operation);
    try {
      const root = planOf(document);
      const primary = primaryOf(root);
      const enclosing = new Map([...fragments].map(([label, fragment]) => [label, [...fragment.enclosing]]));
      const blocks = blocksOf(root, primary, enclosing);
      const documents = new Map(blocks.map((block) => [block.label, releasing(document, new Set([block.label, ...block.requires]))]));
      return { primary, whole, blocks, fragments, documents, primaryDocument: releasing(document, new Set()), wholeDocument };
    } catch (error) {
      // The planner's defer support refuses some fragments on abstract types that it plans
      // without @defer: those operations are answered in one part, every fragment in place (a
      // server may always deliver deferred data early).
      options.logger.debug({ err: error }, '@defer could not be planned: answered in one part');
      return { primary: whole, whole, blocks: [], fragments, documents: new Map(), primaryDocument: wholeDocument, wholeDocument };
    }
  };

  /**
   * `complete`: where field authorization removed fields from the operation, what puts their nulls
   * and errors into the whole answer. Such a request is answered in one part (in the media type
   * asked for): the errors' paths and the nulls are the whole operation's, which no increment holds.
   */
  const respond = async (req: IncomingMessage, body: unknown, requestId: string, complete?: (result: WholeAnswer) => void): Promise<RanShortcut | undefined> => {
    if (req.method !== 'POST' || !api || !schemas || !isJsonBody(req)) return undefined;
    const request = plainGraphQLBody(body);
    const parsed = request && options.parseQuery(request.query);
    if (!request || !parsed || !usesDefer(request.query, parsed.document)) return undefined;
    const { query, variables: given, operationName } = request;
    const accept = req.headers.accept;
    const stream = acceptsDeferSpec(accept);
    const contentType = answerType(accept);
    const refuse = (status: number, code: string, message: string): RanShortcut => ({
      status,
      answer: `${JSON.stringify({ errors: [{ message, extensions: { code } }] })}\n`,
      contentType: contentType ?? 'application/json; charset=utf-8',
      errorCodes: [code],
    });
    if (!stream && !contentType) return refuse(406, 'NOT_ACCEPTABLE', 'Accept multipart/mixed (deferSpec=20220824) or application/json to be answered.');

    const errors = validate(api, parsed.document, specifiedRules);
    if (errors.length) {
      return { ...refuse(400, 'GRAPHQL_VALIDATION_FAILED', ''), answer: `${JSON.stringify({ errors: errors.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) })}\n` };
    }
    const operation = getOperationAST(parsed.document, operationName);
    if (!operation) return refuse(400, 'OPERATION_RESOLUTION_FAILURE', operationName ? `The document has no operation named "${operationName}".` : 'The document has several operations: say which one to run with operationName.');
    if (operation.operation !== 'query') return refuse(400, 'DEFER_UNSUPPORTED', '@defer is served on queries only.');
    const coerced = getVariableValues(api, operation.variableDefinitions ?? [], given);
    if (coerced.errors) return refuse(400, 'BAD_USER_INPUT', coerced.errors[0].message);
    const cost = estimateCost(api, parsed.document, operation, given, options.limits, costModel);
    if (cost > options.limits.maxCost) {
      return refuse(400, 'QUERY_TOO_COSTLY', `The query’s estimated cost is ${cost}; at most ${options.limits.maxCost} is allowed. Ask for smaller pages or fewer fields.`);
    }
    let identity: Identity | null;
    try {
      identity = await options.identity(req);
    } catch (error) {
      const code = error instanceof GraphQLError ? String(error.extensions.code ?? 'UNAUTHENTICATED') : 'UNAUTHENTICATED';
      return refuse(401, code, error instanceof Error ? error.message : 'The bearer token is not valid.');
    }
    if (!identity && !options.allowAnonymousReads) return refuse(401, 'UNAUTHENTICATED', 'Sign in: this gateway needs a bearer token for every request.');

    let ready: Prepared;
    try {
      ready = prepare(query, parsed.document, operationName, coerced.coerced);
    } catch (error) {
      if (error instanceof Refused) return refuse(error.status, String(error.extensions.code), error.message);
      throw error;
    }
    const context: GatewayContext = { identity, requestId, operation: {} };
    const sources = memoised(options.dataSources());
    const current = schemas;
    // The parts run with lists merged item by item (mergeListsOfLists); the whole answer with Apollo's own merge, as stock.
    const run = (node: PlanNode | undefined, document: DocumentNode, inParts = true) => {
      const requestContext = { request: { query, variables: coerced.coerced, operationName }, context, logger: options.logger, metrics: {}, cache: undefined } as unknown as Parameters<typeof executeQueryPlan>[2];
      const operationContext = buildOperationContext({ schema: current.schema, operationDocument: document, operationName });
      const execute = () => executeQueryPlan({ kind: 'QueryPlan', node }, sources, requestContext, operationContext, current.supergraphSchema, current.apiSchema);
      return inParts ? inDeferredPart.run(true, execute) : execute();
    };
    const costed = costExtension(cost, options.limits);
    const ran = { text: query, operationName, document: parsed.document, errors: false };
    const name = operation.name?.value;

    if (!stream || complete) {
      const result = await inSpan('gateway.defer', { attributes: { 'gateway.defer.streamed': false } }, () => run(ready.whole, ready.wholeDocument, false));
      const formatted = result.errors?.length ? formatErrors(result.errors) : undefined;
      if (formatted) options.onErrors?.(operationName, formatted);
      const whole: WholeAnswer = { errors: formatted, data: result.data, extensions: { ...result.extensions, ...costed } };
      complete?.(whole);
      ran.errors = !!whole.errors?.length;
      if (!stream) return { answer: `${JSON.stringify(whole)}\n`, operationName: name, contentType, ran, errorCodes: whole.errors?.map((e) => String(e.extensions?.code)) };
      const only = JSON.stringify({ errors: whole.errors, data: whole.data, hasNext: false, extensions: whole.extensions });
      return { stream: (async function* () { yield `\r\n---\r\n${PART_HEAD}${only}\r\n-----\r\n`; })(), contentType: DEFER_CONTENT_TYPE, operationName: name, ran };
    }

    // Every block starts at once; each waits in the plan only for what it depends on.
    const primary = run(ready.primary, ready.primaryDocument);
    const done = new Map<Block, Promise<Incremental[]>>();
    const byLabel = new Map(ready.blocks.map((block) => [block.label, block]));
    const sent = new Set<string>();
    const newErrors = (errors: readonly unknown[] | undefined) => {
      const fresh: GraphQLFormattedError[] = [];
      for (const error of formatErrors(errors ?? [])) {
        const key = JSON.stringify(error);
        if (!sent.has(key)) fresh.push(error);
        sent.add(key);
      }
      if (fresh.length) options.onErrors?.(operationName, fresh);
      return fresh;
    };
    const blockDone = (block: Block): Promise<Incremental[]> => {
      let promise = done.get(block);
      if (promise) return promise;
      promise = (async () => {
        // A part that fails outright is its increment's error: the stream still ends with hasNext false.
        const result = await run(block.plan, ready.documents.get(block.label)!).catch((error: unknown) => {
          options.logger.error({ err: error, label: block.label }, 'a deferred part failed');
          return { errors: [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })], data: undefined };
        });
        // The blocks it needs are sent before it, and the primary part before any.
        await primary;
        await Promise.all(block.requires.map((label) => blockDone(byLabel.get(label)!)));
        const fragment = ready.fragments.get(block.label);
        const items: Incremental[] = [];
        const label = block.label.startsWith(OWN_LABEL) ? undefined : block.label;
        for (const position of fragment?.positions ?? []) {
          for (const { path, value } of reach(result.data, position)) {
            const data: Record<string, unknown> = {};
            for (const key of Object.keys(value)) if (fragment!.keys.has(key)) data[key] = value[key];
            if (Object.keys(data).length) items.push(label === undefined ? { data, path } : { data, path, label });
          }
        }
        const errors = newErrors(result.errors);
        if (errors.length) {
          if (items.length) items[0].errors = errors;
          else items.push({ data: null as unknown as Record<string, unknown>, path: fragment?.positions[0] ?? [], ...(label === undefined ? {} : { label }), errors });
        }
        return items;
      })();
      done.set(block, promise);
      return promise;
    };
    for (const block of ready.blocks) void blockDone(block).catch(() => undefined);

    async function* parts(): AsyncGenerator<string> {
      const first = await inSpan('gateway.defer', { attributes: { 'gateway.defer.streamed': true, 'gateway.defer.blocks': ready.blocks.length } }, () => primary);
      const firstErrors = newErrors(first.errors);
      if (firstErrors.length) ran.errors = true;
      // No data at all (a root field failed): nothing to add to, the stream ends here.
      const hasNext = ready.blocks.length > 0 && first.data !== null && first.data !== undefined;
      const initial = { errors: firstErrors.length ? firstErrors : undefined, data: first.data, hasNext, extensions: { ...first.extensions, ...costed } };
      yield `\r\n---\r\n${PART_HEAD}${JSON.stringify(initial)}\r\n---${hasNext ? '' : '--'}\r\n`;
      if (!hasNext) return;
      // In the order they complete.
      const pending = new Map(ready.blocks.map((block) => [block, blockDone(block).then((items) => ({ block, items }))]));
      while (pending.size) {
        const { block, items } = await Promise.race(pending.values());
        pending.delete(block);
        if (items.some((item) => item.errors)) ran.errors = true;
        const next = pending.size > 0;
        if (!items.length && next) continue;
        const part = items.length ? { hasNext: next, incremental: items } : { hasNext: next };
        yield `${PART_HEAD}${JSON.stringify(part)}\r\n---${next ? '' : '--'}\r\n`;
      }
    }
    return { stream: parts(), contentType: DEFER_CONTENT_TYPE, operationName: name, ran };
  };

  return {
    respond,
    /** A new supergraph: a planner with defer on over it, the gateway's schemas, nothing prepared for the old one. */
    update(current: GatewaySchemas, supergraphSdl: string, model: CostModel) {
      prepared = new LRUCache({ max: options.capacity ?? 500 });
      costModel = model;
      const supergraph = Supergraph.build(supergraphSdl);
      planner = new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } });
      plannerApi = supergraph.apiSchema();
      api = plannerApi.toGraphQLJSSchema({ includeDefer: true });
      schemas = current;
    },
  };
}

/** True where the Accept header takes multipart/mixed in the 2022-08-24 defer format (or names no format). */
export function acceptsDeferSpec(accept: string | undefined): boolean {
  for (const range of (accept ?? '').split(',')) {
    const [type, ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    if (type !== 'multipart/mixed') continue;
    const named = Object.fromEntries(params.map((p) => p.split('=').map((s) => s.trim().replace(/^"|"$/g, ''))));
    if (named.q === '0') continue;
    if (named.deferspec === '20220824' || (named.deferspec === undefined && named.incrementalspec === undefined)) return true;
  }
  return false;
}
