import type { ApolloServerPlugin } from '@apollo/server';
import type { Refusal } from '@zigong/platform';
import { fragmentsOf, type ParsedQuery, queryText, TooManyTokens } from './documents';
import {
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
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';

export interface DemandLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxCost: number;
  /** Assumed length of a list field that has no `first` argument. */
  defaultListSize: number;
  /** Largest `first` any field may be asked for. */
  maxPageSize: number;
}

export interface Shape {
  depth: number;
  aliases: number;
  rootFields: number;
}

function limitError(code: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}


/**
 * Depth, aliases and root fields of every operation, counted before validation (which is
 * quadratic in the worst case) and safe on documents validation has not yet seen: fragment
 * cycles and unknown fragments are simply not followed.
 */
export function measureShape(document: DocumentNode): Shape {
  const fragments = fragmentsOf(document);
  let aliases = 0;
  let depth = 0;
  let rootFields = 0;
  // Introspection is deep by nature (type references nest), so its depth is graphql-js's to
  // limit; its aliases count like any others.
  const visit = (set: SelectionSetNode, level: number, path: Set<string>, root: boolean, introspection: boolean) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases++;
        if (root) rootFields++;
        const inside = introspection || selection.name.value.startsWith('__');
        if (!inside) depth = Math.max(depth, level);
        if (selection.selectionSet) visit(selection.selectionSet, level + 1, path, false, inside);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, level, path, root, introspection);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || path.has(name)) continue;
        visit(fragment.selectionSet, level, new Set(path).add(name), root, introspection);
      }
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) visit(definition.selectionSet, 1, new Set(), true, false);
  }
  return { depth, aliases, rootFields };
}

export function checkShape(shape: Shape, limits: DemandLimits): Refusal | null {
  const refuse = (code: string, message: string): Refusal => ({ status: 400, code, message });
  if (shape.depth > limits.maxDepth) return refuse('QUERY_TOO_DEEP', `The query is ${shape.depth} levels deep; at most ${limits.maxDepth} are allowed.`);
  if (shape.aliases > limits.maxAliases) return refuse('TOO_MANY_ALIASES', `The query uses ${shape.aliases} aliases; at most ${limits.maxAliases} are allowed.`);
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

/**
 * Estimated cost of a validated operation: every field costs 1, and what is below a list is
 * multiplied by its length — the `first` argument where there is one (a connection's `edges`
 * then counts once), otherwise the default list size.
 */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  { defaultListSize, maxPageSize }: Pick<DemandLimits, 'defaultListSize' | 'maxPageSize'>,
): number {
  const fragments = fragmentsOf(document);
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return 0;

  const fieldsOf = (set: SelectionSetNode, type: GraphQLCompositeType, path: Set<string>): Array<[FieldNode, GraphQLCompositeType]> => {
    const found: Array<[FieldNode, GraphQLCompositeType]> = [];
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) found.push([selection, type]);
      else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment || (selection.kind === Kind.FRAGMENT_SPREAD && path.has(selection.name.value))) continue;
        const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : type;
        const nextPath = selection.kind === Kind.FRAGMENT_SPREAD ? new Set(path).add(selection.name.value) : path;
        if (condition && isCompositeType(condition)) found.push(...fieldsOf(fragment.selectionSet, condition, nextPath));
      }
    }
    return found;
  };

  const cost = (set: SelectionSetNode, type: GraphQLCompositeType, sizedByParent: boolean): number => {
    let total = 0;
    for (const [node, parent] of fieldsOf(set, type, new Set())) {
      if (node.name.value.startsWith('__')) continue;
      const field = 'getFields' in parent ? (parent.getFields() as Record<string, GraphQLField<unknown, unknown>>)[node.name.value] : undefined;
      if (!field) continue;
      const firstArg = node.arguments?.find((arg) => arg.name.value === 'first');
      const first = firstArg ? Number(valueFromASTUntyped(firstArg.value, variables)) : NaN;
      if (first > maxPageSize) {
        throw limitError('PAGE_SIZE_TOO_LARGE', `\`first\` is ${first} on ${node.name.value}; at most ${maxPageSize} items fit in one page.`);
      }
      const isList = getNullableType(field.type) instanceof GraphQLList;
      const size = Number.isFinite(first) && first >= 0 ? first : isList && !sizedByParent ? defaultListSize : 1;
      const named = getNamedType(field.type);
      const below = node.selectionSet && isCompositeType(named) ? cost(node.selectionSet, named, Number.isFinite(first)) : 0;
      total += 1 + size * below;
    }
    return total;
  };
  return cost(operation.selectionSet, rootType, false);
}

/** What every answer says of its accepted cost, in `extensions`. */
export const costExtension = (estimated: number, limits: Pick<DemandLimits, 'maxCost'>) => ({ cost: { estimated, limit: limits.maxCost } });

/**
 * Demand control for ad-hoc queries: shape limits before validation, the cost limit once the
 * operation and its variables are known, and the accepted cost reported in `extensions.cost`.
 */
export function demandControlPlugin(limits: DemandLimits): ApolloServerPlugin {
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
          estimated = estimateCost(schema, document, operation, request.variables ?? {}, limits);
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
