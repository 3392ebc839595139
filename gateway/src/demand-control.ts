import type { ApolloServerPlugin } from '@apollo/server';
import { fragmentsOf, measureShape, type Refusal, type Shape } from '@zigong/platform';
import { type ParsedQuery, queryText, TooManyTokens } from './documents';

export { measureShape, type Shape };
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  GraphQLList,
  type GraphQLSchema,
  isCompositeType,
  Kind,
  parse,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

export interface DemandLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  /** Fields selected, counted once per path through the fragments (what planning and execution walk). */
  maxFields: number;
  maxTokens: number;
  maxCost: number;
  /** Assumed length of a list field the supergraph declares no `@listSize` for, and that has no `first`. */
  defaultListSize: number;
  /** Largest `first` any field may be asked for. */
  maxPageSize: number;
}


function limitError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

export function checkShape(shape: Shape, limits: DemandLimits): Refusal | null {
  const refuse = (code: string, message: string): Refusal => ({ status: 400, code, message });
  if (shape.depth > limits.maxDepth) return refuse('QUERY_TOO_DEEP', `The query is ${shape.depth} levels deep; at most ${limits.maxDepth} are allowed.`);
  if (shape.aliases > limits.maxAliases) return refuse('TOO_MANY_ALIASES', `The query uses ${shape.aliases} aliases; at most ${limits.maxAliases} are allowed.`);
  if (shape.fields > limits.maxFields) {
    return refuse('TOO_MANY_FIELDS', `The query selects ${shape.fields} fields, counting each path through its fragments; at most ${limits.maxFields} are allowed.`);
  }
  if (shape.rootFields > limits.maxRootFields) {
    return refuse('TOO_MANY_ROOT_FIELDS', `The query asks for ${shape.rootFields} root fields; at most ${limits.maxRootFields} are allowed.`);
  }
  return null;
}

/**
 * Shape limits, checked on the query text before Apollo Server parses and validates it, because
 * Apollo cannot refuse from a hook that runs before validation. A query sent only as a persisted
 * hash was checked when its text was first registered. Each distinct text is checked once.
 */
export function shapeGuard(limits: DemandLimits, parseQuery: (query: string) => ParsedQuery | null) {
  const checked = new WeakMap<DocumentNode, Refusal | null>();
  return (_req: unknown, _raw: string, body: unknown, url: URL): Refusal | null => {
    const query = queryText(body, url);
    if (!query) return null;
    let parsed: ParsedQuery | null;
    try {
      parsed = parseQuery(query);
    } catch (error) {
      if (!(error instanceof TooManyTokens)) throw error;
      return { status: 400, code: 'TOO_MANY_TOKENS', message: `The query has more than ${limits.maxTokens} tokens.` };
    }
    if (!parsed) return null; // Apollo reports syntax errors with their location
    if (!checked.has(parsed.document)) checked.set(parsed.document, checkShape(measureShape(parsed.document), limits));
    return checked.get(parsed.document)!;
  };
}

/** Apollo's demand-control `@listSize`, as composition carries it into the supergraph. */
export interface ListSizeRule {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
  requireOneSlicingArgument: boolean;
}

/**
 * What the supergraph declares about cost: `@cost` weights of fields (`Type.field`), of types and
 * of arguments (`Type.field(argument)`), and `@listSize` of list fields.
 */
export interface CostModel {
  fieldWeights: ReadonlyMap<string, number>;
  typeWeights: ReadonlyMap<string, number>;
  argumentWeights: ReadonlyMap<string, number>;
  listSizes: ReadonlyMap<string, ListSizeRule>;
}

export const EMPTY_COST_MODEL: CostModel = { fieldWeights: new Map(), typeWeights: new Map(), argumentWeights: new Map(), listSizes: new Map() };

const COST_SPEC = /^https:\/\/specs\.apollo\.dev\/cost\/v0\.\d+$/;

/**
 * The names `@cost` and `@listSize` have in a supergraph: as its `@link` to the cost spec imports
 * them (possibly renamed), or namespaced (`@cost__listSize`) where it does not import them.
 */
function costDirectiveNames(document: DocumentNode): { cost: string; listSize: string } | null {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const args = Object.fromEntries((link.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)]));
      if (typeof args.url !== 'string' || !COST_SPEC.test(args.url)) continue;
      const namespace = typeof args.as === 'string' ? args.as : 'cost';
      const names = { cost: `${namespace}__cost`, listSize: `${namespace}__listSize` };
      for (const entry of (args.import ?? []) as Array<string | { name: string; as?: string }>) {
        const [name, as] = typeof entry === 'string' ? [entry, entry] : [entry.name, entry.as ?? entry.name];
        if (name === '@cost') names.cost = as.replace(/^@/, '');
        if (name === '@listSize') names.listSize = as.replace(/^@/, '');
      }
      return names;
    }
  }
  return null;
}

/**
 * The cost model a supergraph declares with Apollo's demand-control directives, which the API
 * schema no longer carries. Read once per supergraph.
 */
export function costModelOf(supergraphSdl: string): CostModel {
  const document = parse(supergraphSdl);
  const names = costDirectiveNames(document);
  if (!names) return EMPTY_COST_MODEL;
  const fieldWeights = new Map<string, number>();
  const typeWeights = new Map<string, number>();
  const argumentWeights = new Map<string, number>();
  const listSizes = new Map<string, ListSizeRule>();
  const argsOf = (directive: DirectiveNode) => Object.fromEntries((directive.arguments ?? []).map((arg) => [arg.name.value, valueFromASTUntyped(arg.value)]));
  const weightOf = (directives: readonly DirectiveNode[] | undefined) => {
    const cost = directives?.find((d) => d.name.value === names.cost);
    return cost ? Number(argsOf(cost).weight) : undefined;
  };
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name || !('directives' in definition)) continue;
    const typeName = definition.name.value;
    const typeWeight = weightOf(definition.directives);
    if (typeWeight !== undefined) typeWeights.set(typeName, typeWeight);
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_EXTENSION) continue;
    for (const field of definition.fields ?? []) {
      const key = `${typeName}.${field.name.value}`;
      const weight = weightOf(field.directives);
      if (weight !== undefined) fieldWeights.set(key, weight);
      for (const argument of field.arguments ?? []) {
        const argumentWeight = weightOf(argument.directives);
        if (argumentWeight !== undefined) argumentWeights.set(`${key}(${argument.name.value})`, argumentWeight);
      }
      const listSize = field.directives?.find((d) => d.name.value === names.listSize);
      if (!listSize) continue;
      const { assumedSize, slicingArguments, sizedFields, requireOneSlicingArgument } = argsOf(listSize) as Partial<Record<string, unknown>>;
      listSizes.set(key, {
        assumedSize: typeof assumedSize === 'number' ? assumedSize : undefined,
        slicingArguments: Array.isArray(slicingArguments) ? (slicingArguments as string[]) : undefined,
        sizedFields: Array.isArray(sizedFields) ? (sizedFields as string[]) : undefined,
        // The spec's default.
        requireOneSlicingArgument: requireOneSlicingArgument !== false,
      });
    }
  }
  return { fieldWeights, typeWeights, argumentWeights, listSizes };
}

/**
 * Estimated cost of a validated operation, after Apollo's demand-control model: every object
 * returned costs its weight (1, or its field's or type's `@cost`), times the length of the list
 * it is in; every leaf field costs its weight once (Apollo counts leaves as 0: here they count,
 * so the estimate is never below the number of objects and fields an answer holds). A list's
 * length is, by its `@listSize`: the largest slicing argument given, else the slicing argument's
 * default, else its assumed size; `sizedFields` hand that length to the named fields (a
 * connection's `edges`). A list with no `@listSize` counts `first` where it has one, else
 * `defaultListSize`. Arguments with a `@cost` add their weight where given.
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  { defaultListSize, maxPageSize }: Pick<DemandLimits, 'defaultListSize' | 'maxPageSize'>,
  model: CostModel,
): number {
  const fragments = fragmentsOf(document);
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return 0;

  /**
   * The fields of a selection set as execution sees them (graphql-js's collectFields): a named
   * fragment is spread once however often it is written, and the fields of one response key on one
   * type are one field, their selections together. So 500 copies of a field, or fragments fanning
   * out 10 × 10 × 10 times, cost what they return, and the walk stays linear in the document.
   */
  const fieldsOf = (set: SelectionSetNode, type: GraphQLCompositeType): Array<[FieldNode, GraphQLCompositeType]> => {
    const byKey = new Map<string, { node: FieldNode; parent: GraphQLCompositeType; selections: SelectionNode[] }>();
    const visited = new Set<string>();
    const collect = (selections: readonly SelectionNode[], within: GraphQLCompositeType) => {
      for (const selection of selections) {
        if (selection.kind === Kind.FIELD) {
          const key = `${within.name}.${(selection.alias ?? selection.name).value}`;
          const seen = byKey.get(key);
          if (!seen) byKey.set(key, { node: selection, parent: within, selections: [...(selection.selectionSet?.selections ?? [])] });
          else if (selection.selectionSet) seen.selections.push(...selection.selectionSet.selections);
          continue;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (visited.has(selection.name.value)) continue;
          visited.add(selection.name.value);
        }
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : within;
        if (condition && isCompositeType(condition)) collect(fragment.selectionSet.selections, condition);
      }
    };
    collect(set.selections, type);
    return [...byKey.values()].map(({ node, parent, selections }) => [
      node.selectionSet ? { ...node, selectionSet: { ...node.selectionSet, selections } } : node,
      parent,
    ]);
  };

  /** The values of `names` the field is given, or else their defaults; null (no limit) is left out. */
  const sliceValues = (node: FieldNode, field: GraphQLField<unknown, unknown>, names: readonly string[]) => {
    const given: number[] = [];
    const defaults: number[] = [];
    for (const name of names) {
      const argument = node.arguments?.find((arg) => arg.name.value === name);
      const value = argument ? valueFromASTUntyped(argument.value, variables) : undefined;
      if (value !== undefined && value !== null) given.push(Number(value));
      else if (!argument || value === undefined) {
        const fallback = field.args.find((arg) => arg.name === name)?.defaultValue;
        if (typeof fallback === 'number') defaults.push(fallback);
      }
    }
    for (const [i, value] of given.entries()) {
      if (value > maxPageSize) throw limitError('PAGE_SIZE_TOO_LARGE', `\`${names[i] ?? 'first'}\` is ${value} on ${node.name.value}; at most ${maxPageSize} items fit in one page.`);
    }
    return { given: given.filter((v) => Number.isFinite(v) && v >= 0), defaults };
  };

  /**
   * `sized`: lengths the parent's `@listSize(sizedFields:)` gives fields of this selection;
   * `inherited`: the `first` of an undeclared parent (a connection), which sizes its lists.
   */
  const cost = (set: SelectionSetNode, type: GraphQLCompositeType, sized: ReadonlyMap<string, number>, inherited: number | undefined): number => {
    let total = 0;
    for (const [node, parent] of fieldsOf(set, type)) {
      if (node.name.value.startsWith('__')) continue;
      const field = 'getFields' in parent ? (parent.getFields() as Record<string, GraphQLField<unknown, unknown>>)[node.name.value] : undefined;
      if (!field) continue;
      const key = `${parent.name}.${field.name}`;
      const named = getNamedType(field.type);
      const isList = getNullableType(field.type) instanceof GraphQLList;
      const rule = model.listSizes.get(key);
      let size = 1;
      let childSized: ReadonlyMap<string, number> = new Map();
      let childInherited: number | undefined;
      if (rule) {
        const { given, defaults } = sliceValues(node, field, rule.slicingArguments ?? []);
        if (rule.requireOneSlicingArgument && rule.slicingArguments?.length && given.length !== 1) {
          throw limitError('SLICING_ARGUMENT_REQUIRED', `${node.name.value} needs exactly one of ${rule.slicingArguments.map((a) => `\`${a}\``).join(', ')}.`);
        }
        const declared = given.length ? Math.max(...given) : defaults.length ? Math.max(...defaults) : (rule.assumedSize ?? defaultListSize);
        if (rule.sizedFields?.length) childSized = new Map(rule.sizedFields.map((name) => [name, declared]));
        else if (isList) size = declared;
      } else {
        const { given, defaults } = sliceValues(node, field, ['first']);
        const first = given[0] ?? defaults[0];
        if (isList) size = first ?? inherited ?? defaultListSize;
        else childInherited = first;
      }
      size = sized.get(field.name) ?? size;
      let weight = model.fieldWeights.get(key) ?? model.typeWeights.get(named.name) ?? 1;
      for (const argument of node.arguments ?? []) weight += model.argumentWeights.get(`${key}(${argument.name.value})`) ?? 0;
      if (node.selectionSet && isCompositeType(named)) total += size * (weight + cost(node.selectionSet, named, childSized, childInherited));
      else total += weight;
    }
    return total;
  };
  return cost(operation.selectionSet, rootType, new Map(), undefined);
}

/** What every answer says of its accepted cost, in `extensions`. */
export const costExtension = (estimated: number, limits: Pick<DemandLimits, 'maxCost'>) => ({ cost: { estimated, limit: limits.maxCost } });

/**
 * Demand control for ad-hoc queries: shape limits before validation, the cost limit once the
 * operation and its variables are known, and the accepted cost reported in `extensions.cost`.
 */
/** `costModel`: the current supergraph's, as the gateway last loaded it. */
export function demandControlPlugin(limits: DemandLimits, costModel: () => CostModel): ApolloServerPlugin {
  return {
    async requestDidStart() {
      let estimated: number | undefined;
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) {
            throw new GraphQLError(
              request.operationName
                ? `The document has no operation named "${request.operationName}".`
                : 'The document has several operations: say which one to run with operationName.',
              { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } },
            );
          }
          if (operation.operation === 'subscription') {
            throw new GraphQLError('This graph has no subscriptions.', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
          }
          estimated = estimateCost(schema, document, operation, request.variables ?? {}, limits, costModel());
          if (estimated > limits.maxCost) {
            throw limitError('QUERY_TOO_COSTLY', `The query’s estimated cost is ${estimated}; at most ${limits.maxCost} is allowed. Ask for smaller pages or fewer fields.`);
          }
        },
        async willSendResponse({ response }) {
          if (estimated !== undefined && response.body.kind === 'single') {
            const result = response.body.singleResult;
            result.extensions = { ...result.extensions, ...costExtension(estimated, limits) };
          }
        },
      };
    },
  };
}
