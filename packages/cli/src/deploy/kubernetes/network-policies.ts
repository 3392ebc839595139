import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import { type Department, REGISTRY, REGISTRY_CLIENT_LABEL } from '../model';
import { COMPONENT, labels, NAME } from './names';
import { type Commented, commented } from '../yaml-output';

/** The NetworkPolicies: the namespace's defaults, then each workload's own. */

/** Prometheus in a namespace labelled as such may scrape the metrics port; nothing else reaches it. */
const MONITORING = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };

/** Ports the platform's pods talk to outside themselves (egress rules name them). */
const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;
const HTTPS_PORT = 443;
/** OTLP over HTTP, what the image's exporters speak (README, *Traces*). */
const OTLP_HTTP_PORT = 4318;
export const tcp = (port: number | string) => ({ port, protocol: 'TCP' as const });
export const policy = (name: string, component: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, labels: labels(name, component) },
  spec,
});

/**
 * Default deny for every pod of the namespace, both ways: each workload's own policy then opens
 * exactly what it needs, so a pod nobody wrote a policy for (or a compromised one) reaches nothing
 * and is reached by nothing. DNS for all, as every connection starts with a name. OTLP egress for
 * all, which carries traces only where the `tracing` ConfigMap names a collector.
 */
export function namespacePolicies(): Commented[] {
  const all = { podSelector: {} };
  return [
    commented(policy('default-deny', 'network', { ...all, policyTypes: ['Ingress', 'Egress'] }), [
      [[], 'Nothing in, nothing out, for every pod of the namespace, unless a policy below or beside its\nworkload allows it (policies add up).'],
    ]),
    commented(
      policy('dns', 'network', {
        ...all,
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [{ port: 53, protocol: 'UDP' }, tcp(53)],
          },
        ],
      }),
      [[[], 'Name lookups, to the cluster DNS (CoreDNS and kube-dns both carry k8s-app=kube-dns in kube-system).']],
    ),
    commented(policy('tracing', 'network', { ...all, policyTypes: ['Egress'], egress: [{ ports: [tcp(OTLP_HTTP_PORT)] }] }), [
      [[], 'Spans to the OpenTelemetry collector the optional `tracing` ConfigMap names (OTLP over HTTP);\nnarrow `to` to the collector, or delete this policy where nothing is traced.'],
    ]),
  ];
}

export function departmentNetworkPolicy(d: Department): NetworkPolicy {
  return policy(d.name, 'subgraph', {
    podSelector: { matchLabels: { [NAME]: d.name } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { [NAME]: 'gateway' } } }], ports: [tcp('http')] }],
    egress: [{ ports: [tcp(POSTGRES_PORT)] }, { ports: [tcp(REDIS_PORT)] }],
  });
}

export function gatewayNetworkPolicy(): NetworkPolicy {
  return policy('gateway', 'gateway', {
    podSelector: { matchLabels: { [NAME]: 'gateway' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ ports: [tcp('http')] }, { from: [MONITORING], ports: [tcp('metrics')] }],
    egress: [
      { to: [{ podSelector: { matchLabels: { [COMPONENT]: 'subgraph' } } }], ports: [tcp('http')] },
      { to: [{ podSelector: { matchLabels: { [NAME]: REGISTRY.name } } }], ports: [tcp('http')] },
      { ports: [tcp(REDIS_PORT)] },
      { ports: [tcp(HTTPS_PORT)] },
    ],
  });
}

/**
 * Who may reach the registry: the gateways (GET /supergraph), and CI, which publishes and checks:
 * a pod labelled REGISTRY_CLIENT_LABEL=true, in this namespace or in a namespace that carries the
 * same label (both labels, so that no pod of an unlabelled namespace gets in by its own label).
 * Out: Postgres, and HTTPS for the identity provider's JWKS, as the gateway.
 */
export function registryNetworkPolicy(): NetworkPolicy {
  const client = { matchLabels: { [REGISTRY_CLIENT_LABEL]: 'true' } };
  return policy(REGISTRY.name, 'registry', {
    podSelector: { matchLabels: { [NAME]: REGISTRY.name } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      { from: [{ podSelector: { matchLabels: { [NAME]: 'gateway' } } }, { podSelector: client }, { namespaceSelector: client, podSelector: client }], ports: [tcp('http')] },
      { from: [MONITORING], ports: [tcp('metrics')] },
    ],
    egress: [{ ports: [tcp(POSTGRES_PORT)] }, { ports: [tcp(HTTPS_PORT)] }],
  });
}

/**
 * The way out for a labelled client inside this namespace (an operator's pod: `kubectl run
 * --labels=...`), which default-deny would otherwise hold in; pods of other namespaces are their
 * namespace's business.
 */
export function registryClientNetworkPolicy(): NetworkPolicy {
  return policy(`${REGISTRY.name}-clients`, 'registry', {
    podSelector: { matchLabels: { [REGISTRY_CLIENT_LABEL]: 'true' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: { matchLabels: { [NAME]: REGISTRY.name } } }], ports: [tcp('http')] }],
  });
}

/** Only the subgraphs' and the registry's pods (with their bootstrap and migrations) reach the local overlay's Postgres. */
export function localPostgresNetworkPolicy(): NetworkPolicy {
  return policy('postgres', 'database', {
    podSelector: { matchLabels: { [NAME]: 'postgres' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { [COMPONENT]: 'subgraph' } } }, { podSelector: { matchLabels: { [NAME]: REGISTRY.name } } }], ports: [tcp('postgres')] }],
  });
}

/** Only the gateway and the subgraphs reach the local overlay's Redis. */
export function localRedisNetworkPolicy(): NetworkPolicy {
  return policy('redis', 'cache', {
    podSelector: { matchLabels: { [NAME]: 'redis' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { [NAME]: 'gateway' } } }, { podSelector: { matchLabels: { [COMPONENT]: 'subgraph' } } }], ports: [tcp('redis')] }],
  });
}
