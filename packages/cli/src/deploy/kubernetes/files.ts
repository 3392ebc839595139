import { type Department, GATEWAY_PORT, type OverlaySpec, REGISTRY, REGISTRY_CLIENT_LABEL } from '../model';
import { type Commented, commented } from '../yaml-output';
import { departmentDeployment, gatewayDeployment, localPostgresDeployment, localRedisDeployment, registryDeployment } from './deployments';
import { departmentNetworkPolicy, gatewayNetworkPolicy, localPostgresNetworkPolicy, localRedisNetworkPolicy, registryClientNetworkPolicy, registryNetworkPolicy } from './network-policies';
import { hpa, pdb } from './scaling';
import { localService, service } from './services';

/** The YAML files of base/ and of the local overlay: each the commented objects of one workload. */

export function departmentFile(d: Department): Commented[] {
  return [
    commented(departmentDeployment(d), [
      [[], `The ${d.name} department: its subgraph, how it scales and is protected.`],
      [
        ['spec', 'template', 'spec', 'initContainers'],
        [
          'Before the subgraph starts, in every pod: the bootstrap makes its login role and group (idempotent),',
          'then its migrations run under a Postgres advisory lock, so replicas starting together migrate one',
          'at a time and the rest find nothing to do. No Job: nothing immutable to delete between releases.',
        ].join('\n'),
      ],
      [['spec', 'template', 'spec', 'containers', 0, 'env', 3], `Per overlay, from the connection budget (README, *Deploying*).`],
    ]),
    commented(service(d.name, 'subgraph', d.port)),
    commented(hpa(d.name, 'subgraph', { min: 2, max: 4 }), [[['spec', 'minReplicas'], 'Overlays set the range; the connection budget is computed from their maximum.']]),
    commented(pdb(d.name, 'subgraph')),
    commented(departmentNetworkPolicy(d), [
      [[], 'Only the gateway calls a subgraph (its requests are also signed).'],
      [
        ['spec', 'egress'],
        'Postgres (the subgraph, its bootstrap and its migrations) and Redis (the replay cache of signed\nrequests). Any address: production\'s database and Redis are the operator\'s, outside the cluster;\nadd `to: [{ipBlock: {cidr: <its address>/32}}]` to pin them.',
      ],
    ]),
  ];
}

export function gatewayFile(): Commented[] {
  return [
    commented(gatewayDeployment(), [
      [
        [],
        [
          'The gateway: one GraphQL endpoint over every department, on the supergraph the registry serves',
          '(SUPERGRAPH_URL, polled with its ETag). An overlay may take components/supergraph instead: the',
          'committed supergraph from a ConfigMap, for a cluster without a registry.',
        ].join('\n'),
      ],
      [['spec', 'template', 'metadata', 'annotations'], 'Scraped on the metrics port, which no Service exposes.'],
      [['spec', 'template', 'spec', 'containers', 0, 'env'], 'Explicit values win over envFrom: what is set here cannot be changed by a ConfigMap.'],
      [
        ['spec', 'template', 'spec', 'containers', 0, 'env', 3],
        '/metrics on its own port, not the public one (see README, *Deploying*, for the processes that honour it).',
      ],
      [['spec', 'template', 'spec', 'containers', 0, 'envFrom'], 'SUBGRAPH_<NAME>_URL per department (generated), then the overlay\'s tunables, then the deployed\nsampler, then the optional `tracing` ConfigMap (OTEL_EXPORTER_OTLP_ENDPOINT and friends; README, *Traces*).'],
      [
        ['spec', 'template', 'spec', 'containers', 0, 'env', 5],
        'The key the registry knows this gateway by (one of its SUPERGRAPH_KEYS): /supergraph is not public.',
      ],
      [
        ['spec', 'template', 'spec', 'containers', 0, 'volumeMounts', 0],
        [
          'The last supergraph the gateway loaded (SUPERGRAPH_CACHE_PATH): an emptyDir lives as long as the pod,',
          'so a gateway container restarted while the registry is down serves that copy at once.',
        ].join('\n'),
      ],
    ]),
    commented(service('gateway', 'gateway', GATEWAY_PORT), [[['spec', 'ports'], 'Only the public port: the metrics port is not in the Service.']]),
    commented(hpa('gateway', 'gateway', { min: 2, max: 6 })),
    commented(pdb('gateway', 'gateway')),
    commented(gatewayNetworkPolicy(), [
      [[], 'Anyone may reach the GraphQL port; only a namespace named `monitoring` may reach the metrics port.'],
      [
        ['spec', 'egress'],
        [
          'The subgraphs (their pods\' http port); the registry (SUPERGRAPH_URL); Redis (REDIS_URL: the',
          'operator\'s, or local\'s pod); HTTPS, for the identity provider\'s JWKS_URL. Pin the last two with',
          '`to: [{ipBlock: …}]` where their addresses are known.',
        ].join('\n'),
      ],
    ]),
  ];
}

export function registryFile(): Commented[] {
  return [
    commented(registryDeployment(), [
      [
        [],
        [
          'The schema registry: every subgraph version and composition, per variant; it composes on publish',
          'and serves the supergraph to the gateways (GET /supergraph). Departments\' CI publishes to it with',
          '`zigong subgraph publish`; until the first composition of the production variant exists the',
          'gateways have nothing to serve (README, *The registry*).',
        ].join('\n'),
      ],
      [
        ['spec', 'replicas'],
        'Fixed, no HorizontalPodAutoscaler: polls answered 304 and publishes serialised per variant by an\nadvisory lock; two for availability, and its connections a known part of the budget.',
      ],
      [
        ['spec', 'template', 'spec', 'initContainers'],
        [
          'As in every department\'s pod: its login role and group (bootstrap), then its migrations under an',
          'advisory lock, so the replicas starting together migrate one at a time. The registry\'s migration',
          'waits for that lock without MIGRATE_LOCK_TIMEOUT_SECONDS; progressDeadlineSeconds bounds the rollout.',
        ].join('\n'),
      ],
      [['spec', 'template', 'spec', 'containers', 0, 'env', 5], `Counted in every overlay's connection budget (model.ts, REGISTRY.poolSize).`],
      [
        ['spec', 'template', 'spec', 'containers', 0, 'env', 7],
        'The same tokens as the gateway: its JWT secret, and the identity provider the overlay\'s gateway\nsettings name (production: gateway.env).',
      ],
    ]),
    commented(service(REGISTRY.name, 'registry', REGISTRY.port), [[['spec', 'ports'], 'Only the API port: the metrics port is not in the Service.']]),
    commented(pdb(REGISTRY.name, 'registry')),
    commented(registryNetworkPolicy(), [
      [
        [],
        [
          `The gateways, and CI: pods labelled ${REGISTRY_CLIENT_LABEL}: "true", in this namespace or in a`,
          'namespace labelled the same (label both the CI namespace and its runner pods), e.g.',
          `  kubectl label namespace ci ${REGISTRY_CLIENT_LABEL}=true`,
          'Every call still needs a token with a registry scope, or a gateway\'s key for /supergraph.',
        ].join('\n'),
      ],
      [['spec', 'egress'], 'Postgres (the registry, its bootstrap and its migrations), and HTTPS for the identity provider\'s JWKS_URL.'],
    ]),
    commented(registryClientNetworkPolicy(), [
      [[], `A labelled client in this namespace (e.g. kubectl run ci-shell --labels=${REGISTRY_CLIENT_LABEL}=true ...)\nmay reach the registry's API port, and nothing else beyond DNS.`],
    ]),
  ];
}

export function localPostgres(overlay: OverlaySpec): Commented[] {
  return [
    commented(localPostgresDeployment(overlay), [
      [[], 'Postgres 16 for the local overlay only: one pod, data gone with it. Production uses the\noperator\'s Postgres, named by the zigong-database, zigong-registry and zigong-migrate Secrets.'],
      [['spec', 'template', 'spec', 'securityContext'], 'The image\'s own postgres user (999), so its entrypoint needs no root to switch users.'],
      [['spec', 'template', 'spec', 'containers', 0, 'args'], 'What the overlay\'s connection budget assumes (kustomization.yaml).'],
    ]),
    commented(localService('postgres', 'database', 5432, 'postgres')),
    commented(localPostgresNetworkPolicy(), [[[], 'Only the subgraphs\' and the registry\'s pods (with their bootstrap and migrations) reach Postgres.']]),
  ];
}

export function localRedis(): Commented[] {
  return [
    commented(localRedisDeployment(), [[[], 'Redis 7 for the local overlay only (the gateway\'s shared caches and rate limits, the subgraphs\' replay cache): nothing persisted.']]),
    commented(localService('redis', 'cache', 6379, 'redis')),
    commented(localRedisNetworkPolicy(), [[[], 'Only the gateway and the subgraphs reach Redis.']]),
  ];
}
