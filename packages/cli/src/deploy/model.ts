import { MIGRATE_POOL_SIZE } from '../migrate';

/**
 * What the deployment files are made from: the departments (supergraph.yaml), the overlays'
 * settings below, and the connection budget that follows from both.
 */

export interface RegistryEntry {
  name: string;
  routingUrl: string;
}

export interface Department {
  name: string;
  port: number;
  /** The gateway's variable for its URL, e.g. SUBGRAPH_FINANCE_URL. */
  urlVariable: string;
  /** Where it answers inside the cluster or the compose network. */
  serviceUrl: string;
  /** Its own Postgres login role (a member of `<name>_rw`), made by the bootstrap step. */
  login: string;
  /** The bootstrap's variable for that login's URL, e.g. FINANCE_DATABASE_URL. */
  databaseUrlVariable: string;
  /** Compose's variable for that login's password, e.g. FINANCE_DB_PASSWORD. */
  passwordVariable: string;
}

export function departmentsOf(registry: RegistryEntry[]): Department[] {
  return registry.map(({ name, routingUrl }) => {
    const port = Number(new URL(routingUrl).port);
    if (!port) throw new Error(`supergraph.yaml: ${name}'s routing_url (${routingUrl}) must name its port explicitly.`);
    const upper = name.toUpperCase();
    return {
      name,
      port,
      urlVariable: `SUBGRAPH_${upper}_URL`,
      serviceUrl: `http://${name}:${port}/graphql`,
      login: `${name}_app`,
      databaseUrlVariable: `${upper}_DATABASE_URL`,
      passwordVariable: `${upper}_DB_PASSWORD`,
    };
  });
}

export const IMAGE = 'zigong/platform';
/**
 * The sampler every deployment ships with, compose and Kubernetes alike: a tenth of the requests
 * that come without a trace, and whatever the caller's `traceparent` decided for the rest (so a
 * subgraph follows the gateway). What it costs: README, *Traces*.
 */
export const TRACES_SAMPLER = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } as const;
export const GATEWAY_PORT = 4000;
/**
 * Where /metrics is to be served, apart from the public port (METRICS_PORT): declared on the
 * container, scraped by Prometheus, never in a Service. Which processes honour it is written in
 * README's *Deploying*.
 */
export const METRICS_PORT = 9464;
/**
 * Where the gateway finds the supergraph ConfigMap, mounted as a directory, when an overlay takes
 * the optional components/supergraph instead of polling the registry.
 */
export const SUPERGRAPH_DIR = '/etc/zigong/supergraph';

/**
 * The schema registry as deployed: one more owner of a schema (its own login role, made by the
 * bootstrap as a department's is), and the service the gateways poll for the supergraph.
 */
export const REGISTRY = {
  name: 'registry',
  port: 4010,
  /**
   * Fixed, not autoscaled: its load is the gateways' conditional GETs (a 304 each every 10 s) and
   * CI's publishes, which one advisory lock per variant serialises anyway; two replicas are for
   * availability, and a fixed count keeps its connections a known part of the budget.
   */
  replicas: 2,
  /**
   * DB_POOL_SIZE: a publish holding its variant's lock, a check composing beside it, and a read
   * (a gateway's poll, a page) at once.
   */
  poolSize: 3,
  login: 'registry_app',
  databaseUrlVariable: 'REGISTRY_DATABASE_URL',
  passwordVariable: 'REGISTRY_DB_PASSWORD',
  /** The variant the gateways serve. */
  variant: 'production',
} as const;
/** What every gateway polls (SUPERGRAPH_URL), inside the cluster or the compose network. */
export const REGISTRY_SUPERGRAPH_URL = `http://${REGISTRY.name}:${REGISTRY.port}/supergraph?variant=${REGISTRY.variant}`;
/** Where a gateway keeps the last supergraph it loaded, so that it starts while the registry is down. */
export const SUPERGRAPH_CACHE_DIR = '/var/cache/zigong';
export const SUPERGRAPH_CACHE_PATH = `${SUPERGRAPH_CACHE_DIR}/supergraph.graphql`;
/**
 * The pod label that admits a CI runner (or an operator's pod) to the registry's port through its
 * NetworkPolicy, from the namespace a ci namespace label names.
 */
export const REGISTRY_CLIENT_LABEL = 'zigong.dev/registry-client';

/** Secrets the manifests read (secretKeyRef); secret.example.yaml documents each. */
export const SECRETS = {
  /** Per department key: the subgraph's own login role's URL. */
  database: 'zigong-database',
  /** Per department key: the URL its migrations and the bootstrap run as (CREATEROLE, schema owner). */
  migrate: 'zigong-migrate',
  signing: 'zigong-signing',
  gateway: 'zigong-gateway',
  /** database-url (its own login role), supergraph-keys (what the gateways present). */
  registry: 'zigong-registry',
  localPostgres: 'zigong-local-postgres',
} as const;

export type OverlayName = 'local' | 'production';

export interface Replicas {
  min: number;
  max: number;
}

/** The Postgres an overlay's subgraphs connect to, as far as the budget needs to know it. */
export interface PostgresLimits {
  /** Its max_connections (the local overlay sets it; production's is the operator's server). */
  maxConnections: number;
  /** superuser_reserved_connections (Postgres' default 3): not for our roles. */
  reserved: number;
  /** Kept free for people and tools: psql, backups, monitoring, a migration run by hand. */
  headroom: number;
}

export interface OverlaySpec {
  name: OverlayName;
  description: string[];
  gatewayMode: 'local' | 'production';
  registryMode: 'local' | 'production';
  subgraphMode: 'local' | 'production';
  subgraphReplicas: Replicas;
  gatewayReplicas: Replicas;
  /** The registry's replicas (a fixed count: REGISTRY.replicas in Kubernetes, one in compose). */
  registryReplicas: number;
  postgres: PostgresLimits;
  /** The pool size a subgraph gets at most, when the budget allows more. */
  poolCap: number;
  image: { newName?: string; newTag: string };
}

export const OVERLAYS: readonly OverlaySpec[] = [
  {
    name: 'local',
    description: [
      'A laptop cluster (kind, minikube, k3d): the gateway, the registry and the subgraphs in local mode,',
      'one replica of each department and gateway (two at most), the registry\'s two, an in-cluster',
      'Postgres 16 and Redis 7 with throw-away storage, and the image built on this machine:',
      '  docker build -f infra/docker/Dockerfile -t zigong/platform:dev .',
      '  kind load docker-image zigong/platform:dev            (or: minikube image load ...)',
      '  kubectl create namespace zigong',
      '  kubectl -n zigong apply -f infra/k8s/secret.example.yaml',
      '  kubectl apply -k infra/k8s/overlays/local            (or: infra/k8s/deploy.sh local)',
      'The gateways serve once the registry has a composition: publish every department once, with a',
      'token signed with the jwt-secret of the zigong-gateway Secret (ports as in supergraph.yaml):',
      '  kubectl -n zigong port-forward service/registry 4010:4010 &',
      '  export ZIGONG_REGISTRY_TOKEN="$(JWT_SECRET=<that jwt-secret> zigong token --sub me --scope registry:admin)"',
      '  zigong subgraph publish <department> --schema schema/<department>.graphql --routing-url http://<department>:<port>/graphql',
      '  kubectl -n zigong port-forward service/gateway 4000:4000',
    ],
    gatewayMode: 'local',
    registryMode: 'local',
    subgraphMode: 'local',
    subgraphReplicas: { min: 1, max: 2 },
    gatewayReplicas: { min: 1, max: 2 },
    registryReplicas: REGISTRY.replicas,
    postgres: { maxConnections: 100, reserved: 3, headroom: 10 },
    poolCap: 5,
    image: { newTag: 'dev' },
  },
  {
    name: 'production',
    description: [
      'Production: three replicas of every department and gateway at least (the registry\'s two), all in',
      'production mode, a released image. Postgres and Redis are the operator\'s (managed services), named',
      'by the Secrets (see ../../secret.example.yaml); the gateway\'s tunables, and the identity provider',
      'the registry shares, are in gateway.env. Departments\' CI publishes to the registry from a pod',
      `labelled ${REGISTRY_CLIENT_LABEL}=true (base/registry.yaml). Deploy with`,
      '  kubectl apply -k infra/k8s/overlays/production       (or: infra/k8s/deploy.sh production)',
      'and set the image per release: kustomize edit set image zigong/platform=<registry>/zigong/platform:<tag>',
      'The connection budget assumes the operator\'s Postgres allows max_connections=100 (Postgres\'',
      'default); with a larger server raise postgres.maxConnections in packages/cli/src/deploy/model.ts',
      'and run `npm run deploy:generate`.',
    ],
    gatewayMode: 'production',
    registryMode: 'production',
    subgraphMode: 'production',
    subgraphReplicas: { min: 3, max: 5 },
    gatewayReplicas: { min: 3, max: 10 },
    registryReplicas: REGISTRY.replicas,
    postgres: { maxConnections: 100, reserved: 3, headroom: 10 },
    poolCap: 5,
    image: { newName: 'registry.example.com/zigong/platform', newTag: '0.1.0' },
  },
];

/** The rolling update every Deployment uses: one extra pod at a time, none taken away early. */
export const MAX_SURGE = 1;
/**
 * Pods of one department that can hold connections at once beyond maxReplicas: the surge pod,
 * and one old pod still draining (terminationGracePeriodSeconds) while the next one starts.
 */
export const EXTRA_PODS = MAX_SURGE + 1;
/** The least pool a subgraph works with: one connection per concurrent request is too few. */
export const MIN_POOL_SIZE = 2;

export interface ConnectionBudget {
  /** DB_POOL_SIZE for every subgraph of the overlay. */
  poolSize: number;
  /** Connections one pod holds at most: its pool, or its init containers' (bootstrap 1, migrate MIGRATE_POOL_SIZE). */
  perPod: number;
  /** Pods of one department at most: maxReplicas + EXTRA_PODS. */
  podsPerDepartment: number;
  /** Connections the registry holds at most: (its replicas + EXTRA_PODS) × its pool (or its migration's). */
  registry: number;
  /** Connections our roles hold at most, all departments and the registry together. */
  peak: number;
  /** max_connections − reserved − headroom − the registry's. */
  available: number;
  explanation: string;
}

/**
 * The largest pool (up to the overlay's cap) with which every department at its maximum replicas,
 * during a rollout, stays inside max_connections with the headroom kept free, beside the
 * registry's replicas (also during a rollout); throws when even MIN_POOL_SIZE does not fit, saying
 * what to change.
 */
export function connectionBudget(
  departmentCount: number,
  overlay: { name: string } & Pick<OverlaySpec, 'subgraphReplicas' | 'registryReplicas' | 'postgres' | 'poolCap'>,
): ConnectionBudget {
  const { maxConnections, reserved, headroom } = overlay.postgres;
  const registry = (overlay.registryReplicas + EXTRA_PODS) * Math.max(REGISTRY.poolSize, MIGRATE_POOL_SIZE);
  const available = maxConnections - reserved - headroom - registry;
  const podsPerDepartment = overlay.subgraphReplicas.max + EXTRA_PODS;
  const pods = departmentCount * podsPerDepartment;
  const poolSize = Math.min(overlay.poolCap, Math.floor(available / pods));
  const perPod = Math.max(poolSize, MIGRATE_POOL_SIZE, 1);
  const peak = pods * perPod + registry;
  const limits = `max_connections ${maxConnections} − ${reserved} reserved − ${headroom} headroom`;
  const explanation =
    `${departmentCount} departments × (${overlay.subgraphReplicas.max} replica${overlay.subgraphReplicas.max === 1 ? '' : 's'} + ${EXTRA_PODS} during a rollout) × ` +
    `${perPod} connections + the registry's (${overlay.registryReplicas} + ${EXTRA_PODS}) × ${Math.max(REGISTRY.poolSize, MIGRATE_POOL_SIZE)} = ${peak} ≤ ${maxConnections - reserved - headroom} (${limits})`;
  if (poolSize < MIN_POOL_SIZE || pods * perPod > available) {
    throw new Error(
      `overlay ${overlay.name}: the connection budget does not fit: ${departmentCount} departments × ${podsPerDepartment} pods × ` +
        `${Math.max(MIN_POOL_SIZE, MIGRATE_POOL_SIZE)} connections = ${pods * Math.max(MIN_POOL_SIZE, MIGRATE_POOL_SIZE)} > ${available} ` +
        `(${limits} − ${registry} for the registry). Raise max_connections (postgres.maxConnections), ` +
        'lower subgraphReplicas.max, or put PgBouncer in front of Postgres (packages/cli/src/deploy/model.ts).',
    );
  }
  return { poolSize, perPod, podsPerDepartment, registry, peak, available, explanation };
}
