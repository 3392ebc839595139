import type { Deployment } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { GATEWAY_NODE_OPTIONS, SUBGRAPH_NODE_OPTIONS } from '../../processes';
import {
  type Department,
  GATEWAY_PORT,
  MAX_SURGE,
  METRICS_PORT,
  type OverlaySpec,
  REGISTRY,
  REGISTRY_SUPERGRAPH_URL,
  SECRETS,
  SUPERGRAPH_CACHE_DIR,
  SUPERGRAPH_CACHE_PATH,
} from '../model';
import { GATEWAY_ROUTING, GATEWAY_SETTINGS, labels, NAME, SUBGRAPH_SETTINGS, TRACING, TRACING_SAMPLER } from './names';
import { CONTAINER_SECURITY, configEnv, podBase, probes, run, secretEnv, spread, TMP_MOUNT, TMP_VOLUME, value } from './pod-spec';

/** The Deployments: each department's, the gateway's, the registry's, and the local overlay's Postgres and Redis. */

/** A long-running Deployment's frame: the HPA owns replicas; one extra pod at a time, none taken early. */
/** The deployed sampler, then the operator's optional tracing settings, which win. */
const tracingEnv = () => [{ configMapRef: { name: TRACING_SAMPLER } }, { configMapRef: { name: TRACING, optional: true } }];

export function deployment(name: string, component: string, template: PodTemplateSpec): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: labels(name, component) },
    spec: {
      revisionHistoryLimit: 5,
      // A rollout that makes no progress (an init container failing, say) is reported failed after this.
      progressDeadlineSeconds: 300,
      selector: { matchLabels: { [NAME]: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: MAX_SURGE, maxUnavailable: 0 } },
      template,
    },
  };
}

export function departmentDeployment(d: Department): Deployment {
  const migrator = secretEnv('DATABASE_URL', SECRETS.migrate, d.name);
  const initResources = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '320Mi' } };
  return deployment(d.name, 'subgraph', {
    metadata: { labels: labels(d.name, 'subgraph') },
    spec: {
      ...podBase(),
      terminationGracePeriodSeconds: 30,
      topologySpreadConstraints: spread(d.name),
      initContainers: [
        {
          name: 'bootstrap',
          ...run('node', 'packages/cli/dist/bootstrap.js', d.name),
          // SUBGRAPH_MODE: production refuses example and guessable passwords, local (its overlay) takes the examples.
          env: [migrator, secretEnv(d.databaseUrlVariable, SECRETS.database, d.name), configEnv('SUBGRAPH_MODE', SUBGRAPH_SETTINGS)],
          resources: initResources,
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [TMP_MOUNT],
        },
        {
          name: 'migrate',
          ...run('node', 'packages/cli/dist/migrate.js', d.name, '--seed'),
          env: [migrator, value('MIGRATE_LOCK_TIMEOUT_SECONDS', '240')],
          resources: initResources,
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [TMP_MOUNT],
        },
      ],
      containers: [
        {
          name: d.name,
          ...run('node', `subgraphs/${d.name}/dist/main.js`),
          ports: [{ name: 'http', containerPort: d.port }],
          env: [
            value('PORT', String(d.port)),
            value('HOST', '0.0.0.0'),
            secretEnv('DATABASE_URL', SECRETS.database, d.name),
            configEnv('DB_POOL_SIZE', SUBGRAPH_SETTINGS),
            configEnv('SUBGRAPH_MODE', SUBGRAPH_SETTINGS),
            secretEnv('GATEWAY_SIGNING_SECRET', SECRETS.signing, 'secret'),
            // Where the replicas share the nonces of the signatures they accepted: without it a
            // request captured on its way to one replica could be replayed to another within 60 s.
            secretEnv('REDIS_URL', SECRETS.signing, 'redis-url', true),
            value('LOG_LEVEL', 'info'),
            value('NODE_OPTIONS', SUBGRAPH_NODE_OPTIONS),
          ],
          envFrom: tracingEnv(),
          ...probes(),
          lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
          resources: { requests: { cpu: '100m', memory: '160Mi' }, limits: { cpu: '1', memory: '320Mi' } },
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [TMP_MOUNT],
        },
      ],
      volumes: [TMP_VOLUME],
    },
  });
}

const SCRAPED = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT), 'prometheus.io/path': '/metrics' };
/** Read by the gateway and the registry alike: one identity provider, one set of tokens. */
const TOKEN_SETTINGS = ['JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_MAX_TOKEN_AGE'];

export function gatewayDeployment(): Deployment {
  return deployment('gateway', 'gateway', {
    metadata: { labels: labels('gateway', 'gateway'), annotations: SCRAPED },
    spec: {
      ...podBase(),
      terminationGracePeriodSeconds: 30,
      topologySpreadConstraints: spread('gateway'),
      containers: [
        {
          name: 'gateway',
          ...run('node', 'gateway/dist/main.js'),
          ports: [
            { name: 'http', containerPort: GATEWAY_PORT },
            { name: 'metrics', containerPort: METRICS_PORT },
          ],
          env: [
            value('GATEWAY_MODE', 'production'),
            value('HOST', '0.0.0.0'),
            value('GATEWAY_PORT', String(GATEWAY_PORT)),
            value('METRICS_PORT', String(METRICS_PORT)),
            value('SUPERGRAPH_URL', REGISTRY_SUPERGRAPH_URL),
            secretEnv('SUPERGRAPH_KEY', SECRETS.gateway, 'supergraph-key'),
            value('SUPERGRAPH_CACHE_PATH', SUPERGRAPH_CACHE_PATH),
            secretEnv('GATEWAY_SIGNING_SECRET', SECRETS.signing, 'secret'),
            secretEnv('JWT_SECRET', SECRETS.gateway, 'jwt-secret', true),
            secretEnv('REDIS_URL', SECRETS.gateway, 'redis-url', true),
            value('NODE_OPTIONS', GATEWAY_NODE_OPTIONS),
          ],
          envFrom: [
            { configMapRef: { name: GATEWAY_ROUTING } },
            { configMapRef: { name: GATEWAY_SETTINGS, optional: true } },
            ...tracingEnv(),
          ],
          ...probes(),
          lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
          resources: { requests: { cpu: '200m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [{ name: 'supergraph-cache', mountPath: SUPERGRAPH_CACHE_DIR }, TMP_MOUNT],
        },
      ],
      volumes: [{ name: 'supergraph-cache', emptyDir: { sizeLimit: '16Mi' } }, TMP_VOLUME],
    },
  });
}

/**
 * The schema registry: REGISTRY.replicas stateless pods over its Postgres schema, migrated as a
 * department's is (bootstrap, then migrations, as init containers of every pod).
 */
export function registryDeployment(): Deployment {
  const migrator = secretEnv('DATABASE_URL', SECRETS.migrate, REGISTRY.name);
  const initResources = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '320Mi' } };
  const frame = deployment(REGISTRY.name, 'registry', {
    metadata: { labels: labels(REGISTRY.name, 'registry'), annotations: SCRAPED },
    spec: {
      ...podBase(),
      terminationGracePeriodSeconds: 30,
      topologySpreadConstraints: spread(REGISTRY.name),
      initContainers: [
        {
          name: 'bootstrap',
          ...run('node', 'packages/cli/dist/bootstrap.js', REGISTRY.name),
          env: [migrator, secretEnv(REGISTRY.databaseUrlVariable, SECRETS.registry, 'database-url'), configEnv('SUBGRAPH_MODE', SUBGRAPH_SETTINGS)],
          resources: initResources,
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [TMP_MOUNT],
        },
        {
          name: 'migrate',
          ...run('node', 'registry/dist/migrate.js'),
          env: [migrator],
          resources: initResources,
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [TMP_MOUNT],
        },
      ],
      containers: [
        {
          name: REGISTRY.name,
          ...run('node', 'registry/dist/main.js'),
          ports: [
            { name: 'http', containerPort: REGISTRY.port },
            { name: 'metrics', containerPort: METRICS_PORT },
          ],
          env: [
            value('REGISTRY_MODE', 'production'),
            value('HOST', '0.0.0.0'),
            value('REGISTRY_PORT', String(REGISTRY.port)),
            value('METRICS_PORT', String(METRICS_PORT)),
            secretEnv('DATABASE_URL', SECRETS.registry, 'database-url'),
            value('DB_POOL_SIZE', String(REGISTRY.poolSize)),
            secretEnv('SUPERGRAPH_KEYS', SECRETS.registry, 'supergraph-keys'),
            secretEnv('JWT_SECRET', SECRETS.gateway, 'jwt-secret', true),
            ...TOKEN_SETTINGS.map((name) => configEnv(name, GATEWAY_SETTINGS, name, true)),
            value('LOG_LEVEL', 'info'),
            value('NODE_OPTIONS', GATEWAY_NODE_OPTIONS),
          ],
          envFrom: tracingEnv(),
          ...probes(),
          lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
          // Composition (@apollo/composition) on every publish and check: the gateway's memory, not a subgraph's.
          resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [TMP_MOUNT],
        },
      ],
      volumes: [TMP_VOLUME],
    },
  });
  return { ...frame, spec: { replicas: REGISTRY.replicas, ...frame.spec! } };
}

/** Postgres 16 for the local overlay only: one pod, its data gone with it. */
export function localPostgresDeployment(overlay: OverlaySpec): Deployment {
  const pgIsReady = { exec: { command: ['pg_isready', '-U', 'zigong', '-d', 'zigong'] } };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'postgres', labels: labels('postgres', 'database') },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { [NAME]: 'postgres' } },
      template: {
        metadata: { labels: labels('postgres', 'database') },
        spec: {
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'postgres',
              image: 'postgres:16-bookworm',
              args: ['-c', `max_connections=${overlay.postgres.maxConnections}`],
              env: [
                value('POSTGRES_USER', 'zigong'),
                value('POSTGRES_DB', 'zigong'),
                secretEnv('POSTGRES_PASSWORD', SECRETS.localPostgres, 'password'),
                value('PGDATA', '/var/lib/postgresql/data/pgdata'),
              ],
              ports: [{ name: 'postgres', containerPort: 5432 }],
              readinessProbe: { ...pgIsReady, periodSeconds: 5 },
              livenessProbe: { ...pgIsReady, initialDelaySeconds: 30, periodSeconds: 10 },
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/postgresql/data' },
                { name: 'run', mountPath: '/var/run/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'run', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** Redis 7 for the local overlay only: nothing persisted. */
export function localRedisDeployment(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'redis', labels: labels('redis', 'cache') },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [NAME]: 'redis' } },
      template: {
        metadata: { labels: labels('redis', 'cache') },
        spec: {
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'redis',
              image: 'redis:7-bookworm',
              args: ['redis-server', '--save', '', '--appendonly', 'no'],
              ports: [{ name: 'redis', containerPort: 6379 }],
              readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10 },
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}
