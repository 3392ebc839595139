import { Counter, Registry } from 'prom-client';
import type { CompiledOutcome } from './compiled-queries';

/**
 * A subgraph's Prometheus metrics, on a registry of its own (tests start several subgraphs in one
 * process): the GraphQL requests it answered and what the compiled path made of them, so a bench
 * or an operator can tell how much of the traffic the fast path really takes.
 */
export function createSubgraphMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const requests = new Counter({ name: 'subgraph_graphql_requests_total', help: 'Requests to /graphql answered, by HTTP status', labelNames: ['status'] as const, registers: [registry] });
  const compiled = new Counter({
    name: 'subgraph_compiled_queries_total',
    help: 'Requests offered to the compiled path by outcome: hit (answered compiled), miss (a query left to Apollo: first sighting, evicted, invalid), ineligible (a mutation or introspection)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['hit', 'miss', 'ineligible'] as const) compiled.inc({ outcome }, 0);
  return {
    request: (status: number) => requests.inc({ status: String(status) }),
    compiled: (outcome: CompiledOutcome) => compiled.inc({ outcome }),
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
