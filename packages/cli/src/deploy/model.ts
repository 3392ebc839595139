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
export const GATEWAY_PORT = 4000;
/**
 * Where /metrics is to be served, apart from the public port (METRICS_PORT): declared on the
 * container, scraped by Prometheus, never in a Service. Which processes honour it is written in
 * README's *Deploying*.
 */
export const METRICS_PORT = 9464;
/** Where the gateway finds the supergraph ConfigMap, mounted as a directory. */
export const SUPERGRAPH_DIR = '/etc/zigong/supergraph';

/** Secrets the manifests read (secretKeyRef); secret.example.yaml documents each. */
export const SECRETS = {
  /** Per department key: the subgraph's own login role's URL. */
  database: 'zigong-database',
  /** Per department key: the URL its migrations and the bootstrap run as (CREATEROLE, schema owner). */
  migrate: 'zigong-migrate',
  signing: 'zigong-signing',
  gateway: 'zigong-gateway',
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
  subgraphMode: 'local' | 'production';
  subgraphReplicas: Replicas;
  gatewayReplicas: Replicas;
  postgres: PostgresLimits;
  /** The pool size a subgraph gets at most, when the budget allows more. */
  poolCap: number;
  image: { newName?: string; newTag: string };
}

export const OVERLAYS: readonly OverlaySpec[] = [
  {
    name: 'local',
    description: [
      'A laptop cluster (kind, minikube, k3d): the gateway and the subgraphs in local mode, one replica of',
      'everything (two at most), an in-cluster Postgres 16 and Redis 7 with throw-away storage, and the',
      'image built on this machine:',
      '  docker build -f infra/docker/Dockerfile -t zigong/platform:dev .',
      '  kind load docker-image zigong/platform:dev            (or: minikube image load ...)',
      '  kubectl create namespace zigong',
      '  kubectl -n zigong apply -f infra/k8s/secret.example.yaml',
      '  kubectl apply -k infra/k8s/overlays/local            (or: infra/k8s/deploy.sh local)',
      '  kubectl -n zigong port-forward service/gateway 4000:4000',
    ],
    gatewayMode: 'local',
    subgraphMode: 'local',
    subgraphReplicas: { min: 1, max: 2 },
    gatewayReplicas: { min: 1, max: 2 },
    postgres: { maxConnections: 100, reserved: 3, headroom: 10 },
    poolCap: 5,
    image: { newTag: 'dev' },
  },
  {
    name: 'production',
    description: [
      'Production: three replicas of everything at least, the gateway and the subgraphs in production',
      'mode, a released image. Postgres and Redis are the operator\'s (managed services), named by the',
      'Secrets (see ../../secret.example.yaml); the gateway\'s tunables are in gateway.env. Deploy with',
      '  kubectl apply -k infra/k8s/overlays/production       (or: infra/k8s/deploy.sh production)',
      'and set the image per release: kustomize edit set image zigong/platform=<registry>/zigong/platform:<tag>',
      'The connection budget assumes the operator\'s Postgres allows max_connections=100 (Postgres\'',
      'default); with a larger server raise postgres.maxConnections in packages/cli/src/deploy/model.ts',
      'and run `npm run deploy:generate`.',
    ],
    gatewayMode: 'production',
    subgraphMode: 'production',
    subgraphReplicas: { min: 3, max: 5 },
    gatewayReplicas: { min: 3, max: 10 },
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
  /** Connections our roles hold at most, all departments together. */
  peak: number;
  /** max_connections − reserved − headroom. */
  available: number;
  explanation: string;
}

/**
 * The largest pool (up to the overlay's cap) with which every department at its maximum replicas,
 * during a rollout, stays inside max_connections with the headroom kept free; throws when even
 * MIN_POOL_SIZE does not fit, saying what to change.
 */
export function connectionBudget(
  departmentCount: number,
  overlay: { name: string } & Pick<OverlaySpec, 'subgraphReplicas' | 'postgres' | 'poolCap'>,
): ConnectionBudget {
  const { maxConnections, reserved, headroom } = overlay.postgres;
  const available = maxConnections - reserved - headroom;
  const podsPerDepartment = overlay.subgraphReplicas.max + EXTRA_PODS;
  const pods = departmentCount * podsPerDepartment;
  const poolSize = Math.min(overlay.poolCap, Math.floor(available / pods));
  const perPod = Math.max(poolSize, MIGRATE_POOL_SIZE, 1);
  const peak = pods * perPod;
  const explanation =
    `${departmentCount} departments × (${overlay.subgraphReplicas.max} replica${overlay.subgraphReplicas.max === 1 ? '' : 's'} + ${EXTRA_PODS} during a rollout) × ` +
    `${perPod} connections = ${peak} ≤ ${available} (max_connections ${maxConnections} − ${reserved} reserved − ${headroom} headroom)`;
  if (poolSize < MIN_POOL_SIZE || peak > available) {
    throw new Error(
      `overlay ${overlay.name}: the connection budget does not fit: ${departmentCount} departments × ${podsPerDepartment} pods × ` +
        `${Math.max(MIN_POOL_SIZE, MIGRATE_POOL_SIZE)} connections = ${pods * Math.max(MIN_POOL_SIZE, MIGRATE_POOL_SIZE)} > ${available} ` +
        `(max_connections ${maxConnections} − ${reserved} reserved − ${headroom} headroom). Raise max_connections (postgres.maxConnections), ` +
        'lower subgraphReplicas.max, or put PgBouncer in front of Postgres (packages/cli/src/deploy/model.ts).',
    );
  }
  return { poolSize, perPod, podsPerDepartment, peak, available, explanation };
}
