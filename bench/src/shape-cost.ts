import { costModelOf, estimateCost } from '@zigong/gateway';
import { type GraphQLSchema, type OperationDefinitionNode, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';

/** The gateway's defaults for DEFAULT_LIST_SIZE and MAX_PAGE_SIZE (gateway/src/config.ts), as the bench runs it. */
const GATEWAY_LIST_DEFAULTS = { defaultListSize: 20, maxPageSize: 100 };
/** Its default MAX_COST. */
export const GATEWAY_MAX_COST = 50_000;

/**
 * The gateway's cost rule (its estimator, the supergraph's @cost and @listSize, its default
 * limits) as a filter for generated shapes, asked with the largest variables the traffic sends.
 */
export function withinCost(supergraphSdl: string, api: GraphQLSchema, maxCost: number): (query: string) => boolean {
  const model = costModelOf(supergraphSdl);
  const variables = { id: '', regionId: '', first: 50, year: 2024 };
  return (query) => {
    const document = parse(query);
    return estimateCost(api, document, document.definitions[0] as OperationDefinitionNode, variables, GATEWAY_LIST_DEFAULTS, model) <= maxCost;
  };
}

/**
 * Fields the supergraph guards (@authenticated, @requiresScopes, @policy): our gateway removes
 * them for the bench's anonymous reads, where stock and Hive enforce nothing, so a shape asking
 * for one would compare unlike answers. Generated shapes leave them out.
 */
export function withoutGuardedFields(supergraphSdl: string, api: GraphQLSchema): (query: string) => boolean {
  const guarded = new Set<string>();
  const guards = new Set(['authenticated', 'requiresScopes', 'policy']);
  visit(parse(supergraphSdl), {
    FieldDefinition(field, _key, _parent, _path, ancestors) {
      const owner = ancestors[ancestors.length - 1] as { name?: { value: string } } | undefined;
      if (owner?.name && field.directives?.some((d) => guards.has(d.name.value))) guarded.add(`${owner.name.value}.${field.name.value}`);
    },
  });
  return (query) => {
    const typeInfo = new TypeInfo(api);
    let clean = true;
    visit(
      parse(query),
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const parent = typeInfo.getParentType();
          if (parent && guarded.has(`${parent.name}.${node.name.value}`)) clean = false;
        },
      }),
    );
    return clean;
  };
}
