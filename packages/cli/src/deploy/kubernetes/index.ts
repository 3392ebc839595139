/**
 * The Kubernetes files, as typed objects (kubernetes-types; the compiler refuses a misspelt or
 * misplaced field). Kustomize layout:
 *   base/                 every department, the gateway and the registry; never applied alone
 *   components/supergraph optional: the gateways on a supergraph ConfigMap instead of the registry,
 *                         from a copy of schema/supergraph.graphql kept inside the component
 *                         (kustomize's load restrictor refuses files outside)
 *   overlays/<name>       namespace, image, replicas, pool size, modes (and local's Postgres, Redis)
 * A file per kind of object, as the compose generator keeps compose apart: deployments.ts,
 * services.ts, scaling.ts (autoscalers, disruption budgets), network-policies.ts,
 * kustomizations.ts (base, supergraph component, overlays), secrets-example.ts; pod-spec.ts holds
 * what every pod shares, names.ts the paths, names and labels, and files.ts gathers each
 * workload's objects, with their comments, into its YAML file. This index is what render.ts uses.
 */

export { K8S, DEPARTMENTS_DIR, SUPERGRAPH_COPY } from './names';
export { departmentFile, gatewayFile, localPostgres, localRedis, registryFile } from './files';
export { namespacePolicies } from './network-policies';
export { baseKustomization, supergraphComponent, overlayKustomization, type Kustomization } from './kustomizations';
export { EXAMPLE_POSTGRES_PASSWORD, EXAMPLE_SIGNING_SECRET, EXAMPLE_JWT_SECRET, EXAMPLE_SUPERGRAPH_KEY, secretExample } from './secrets-example';
export { OVERLAYS } from '../model';
