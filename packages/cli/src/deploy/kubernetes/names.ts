/** Where the Kubernetes files go, and the names and labels every kind of object shares. */

export const K8S = 'infra/k8s';
export const DEPARTMENTS_DIR = `${K8S}/base/departments`;
export const SUPERGRAPH_COPY = `${K8S}/components/supergraph/supergraph.graphql`;

export const NAME = 'app.kubernetes.io/name';
export const COMPONENT = 'app.kubernetes.io/component';
export const labels = (name: string, component: string) => ({ [NAME]: name, [COMPONENT]: component });

/** Per overlay: DB_POOL_SIZE and SUBGRAPH_MODE (a generated ConfigMap, so a change rolls the subgraphs). */
export const SUBGRAPH_SETTINGS = 'subgraph-settings';
/** Per overlay, optional: the gateway's tunables (production: gateway.env). */
export const GATEWAY_SETTINGS = 'gateway-settings';
export const GATEWAY_ROUTING = 'gateway-routing';
/**
 * Optional, made by the operator: OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables for
 * every process (README, *Traces*). Without it nothing is traced.
 */
export const TRACING = 'tracing';
/**
 * The sampler as deployed (TRACES_SAMPLER), generated into the base and read before TRACING, so
 * the operator's `tracing` ConfigMap may set another.
 */
export const TRACING_SAMPLER = 'tracing-sampler';
