import { costModelOf, estimateCost } from '@zigong/gateway';
import { type GraphQLSchema, type OperationDefinitionNode, parse } from 'graphql';

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
