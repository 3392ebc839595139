import type { Deployment } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { Container, EnvVar, PodSpec, PodTemplateSpec, Probe, Secret, SecurityContext, Service, TopologySpreadConstraint, Volume } from 'kubernetes-types/core/v1';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { GATEWAY_NODE_OPTIONS, SUBGRAPH_NODE_OPTIONS } from '../processes';
import { connectionBudget, type Department, GATEWAY_PORT, IMAGE, MAX_SURGE, METRICS_PORT, OVERLAYS, type OverlaySpec, SECRETS, SUPERGRAPH_DIR } from './model';
import { type Commented, commented } from './yaml-output';

/**
 * The Kubernetes files, as typed objects (kubernetes-types; the compiler refuses a misspelt or
 * misplaced field). Kustomize layout:
 *   base/                 every department and the gateway; never applied alone
 *   components/supergraph the supergraph ConfigMap, from a copy of schema/supergraph.graphql kept
 *                         inside the component (kustomize's load restrictor refuses files outside)
 *   overlays/<name>       namespace, image, replicas, pool size, modes (and local's Postgres, Redis)
 */

export const K8S = 'infra/k8s';
export const DEPARTMENTS_DIR = `${K8S}/base/departments`;
export const SUPERGRAPH_COPY = `${K8S}/components/supergraph/supergraph.graphql`;

const NAME = 'app.kubernetes.io/name';
const COMPONENT = 'app.kubernetes.io/component';
const labels = (name: string, component: string) => ({ [NAME]: name, [COMPONENT]: component });

/** Per overlay: DB_POOL_SIZE and SUBGRAPH_MODE (a generated ConfigMap, so a change rolls the subgraphs). */
const SUBGRAPH_SETTINGS = 'subgraph-settings';
/** Per overlay, optional: the gateway's tunables (production: gateway.env). */
const GATEWAY_SETTINGS = 'gateway-settings';
const GATEWAY_ROUTING = 'gateway-routing';
/**
 * Optional, made by the operator: OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables for
 * every process (README, *Traces*). Without it nothing is traced.
 */
const TRACING = 'tracing';

const CONTAINER_SECURITY: SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Pod settings every process of the image runs with. */
function podBase(): Pick<PodSpec, 'enableServiceLinks' | 'automountServiceAccountToken' | 'securityContext'> {
  return {
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

const TMP_VOLUME: Volume = { name: 'tmp', emptyDir: { sizeLimit: '16Mi' } };
const TMP_MOUNT = { name: 'tmp', mountPath: '/tmp' };

const secretEnv = (name: string, secret: string, key: string, optional?: boolean): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key, ...(optional ? { optional } : {}) } },
});
const configEnv = (name: string, configMap: string, key = name): EnvVar => ({ name, valueFrom: { configMapKeyRef: { name: configMap, key } } });
const value = (name: string, v: string): EnvVar => ({ name, value: v });

/** Spread over zones where there are several (soft), and over nodes (hard, tainted nodes not counted). */
function spread(name: string): TopologySpreadConstraint[] {
  const selector = { matchLabels: { [NAME]: name } };
  return [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector, matchLabelKeys: ['pod-template-hash'] },
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      nodeTaintsPolicy: 'Honor',
      labelSelector: selector,
      matchLabelKeys: ['pod-template-hash'],
    },
  ];
}

function probes(): Pick<Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  const get = (path: string): Probe['httpGet'] => ({ path, port: 'http' });
  return {
    startupProbe: { httpGet: get('/health'), periodSeconds: 2, failureThreshold: 30 },
    livenessProbe: { httpGet: get('/health'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { httpGet: get('/ready'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
  };
}

/** A long-running Deployment's frame: the HPA owns replicas; one extra pod at a time, none taken early. */
function deployment(name: string, component: string, template: PodTemplateSpec): Deployment {
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

function service(name: string, component: string, port: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: labels(name, component) },
    spec: { type: 'ClusterIP', selector: { [NAME]: name }, ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }] },
  };
}

function hpa(name: string, component: string, replicas: { min: number; max: number }): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, labels: labels(name, component) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: replicas.min,
      maxReplicas: replicas.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  };
}

function pdb(name: string, component: string): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, labels: labels(name, component) },
    spec: { maxUnavailable: 1, selector: { matchLabels: { [NAME]: name } } },
  };
}

/** Prometheus in a namespace labelled as such may scrape the metrics port; nothing else reaches it. */
const MONITORING = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };

/** Ports the platform's pods talk to outside themselves (egress rules name them). */
const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;
const HTTPS_PORT = 443;
/** OTLP over HTTP, what the image's exporters speak (README, *Traces*). */
const OTLP_HTTP_PORT = 4318;
const tcp = (port: number | string) => ({ port, protocol: 'TCP' as const });
const policy = (name: string, component: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
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

/** The image's processes run under tini (its ENTRYPOINT): containers set `args`, never `command`. */
const run = (...argv: string[]) => ({ image: IMAGE, args: argv });

function departmentDeployment(d: Department): Deployment {
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
          envFrom: [{ configMapRef: { name: TRACING, optional: true } }],
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

function departmentNetworkPolicy(d: Department): NetworkPolicy {
  return policy(d.name, 'subgraph', {
    podSelector: { matchLabels: { [NAME]: d.name } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { [NAME]: 'gateway' } } }], ports: [tcp('http')] }],
    egress: [{ ports: [tcp(POSTGRES_PORT)] }, { ports: [tcp(REDIS_PORT)] }],
  });
}

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

function gatewayDeployment(): Deployment {
  return deployment('gateway', 'gateway', {
    metadata: {
      labels: labels('gateway', 'gateway'),
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(METRICS_PORT), 'prometheus.io/path': '/metrics' },
    },
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
            value('SUPERGRAPH_PATH', `${SUPERGRAPH_DIR}/supergraph.graphql`),
            secretEnv('GATEWAY_SIGNING_SECRET', SECRETS.signing, 'secret'),
            secretEnv('JWT_SECRET', SECRETS.gateway, 'jwt-secret', true),
            secretEnv('REDIS_URL', SECRETS.gateway, 'redis-url', true),
            value('NODE_OPTIONS', GATEWAY_NODE_OPTIONS),
          ],
          envFrom: [
            { configMapRef: { name: GATEWAY_ROUTING } },
            { configMapRef: { name: GATEWAY_SETTINGS, optional: true } },
            { configMapRef: { name: TRACING, optional: true } },
          ],
          ...probes(),
          lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
          resources: { requests: { cpu: '200m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [{ name: 'supergraph', mountPath: SUPERGRAPH_DIR, readOnly: true }, TMP_MOUNT],
        },
      ],
      volumes: [{ name: 'supergraph', configMap: { name: 'supergraph' } }, TMP_VOLUME],
    },
  });
}

function gatewayNetworkPolicy(): NetworkPolicy {
  return policy('gateway', 'gateway', {
    podSelector: { matchLabels: { [NAME]: 'gateway' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ ports: [tcp('http')] }, { from: [MONITORING], ports: [tcp('metrics')] }],
    egress: [
      { to: [{ podSelector: { matchLabels: { [COMPONENT]: 'subgraph' } } }], ports: [tcp('http')] },
      { ports: [tcp(REDIS_PORT)] },
      { ports: [tcp(HTTPS_PORT)] },
    ],
  });
}

export function gatewayFile(): Commented[] {
  return [
    commented(gatewayDeployment(), [
      [[], 'The gateway: one GraphQL endpoint over every department, on the supergraph mounted from the\n`supergraph` ConfigMap (components/supergraph).'],
      [['spec', 'template', 'metadata', 'annotations'], 'Scraped on the metrics port, which no Service exposes.'],
      [['spec', 'template', 'spec', 'containers', 0, 'env'], 'Explicit values win over envFrom: what is set here cannot be changed by a ConfigMap.'],
      [
        ['spec', 'template', 'spec', 'containers', 0, 'env', 3],
        '/metrics on its own port, not the public one (see README, *Deploying*, for the processes that honour it).',
      ],
      [['spec', 'template', 'spec', 'containers', 0, 'envFrom'], 'SUBGRAPH_<NAME>_URL per department (generated), then the overlay\'s tunables, then the\noptional `tracing` ConfigMap (OTEL_EXPORTER_OTLP_ENDPOINT and friends; README, *Traces*).'],
      [
        ['spec', 'template', 'spec', 'containers', 0, 'volumeMounts', 0],
        'The directory, not a subPath: the kubelet swaps the files in place when the ConfigMap changes,\nand the gateway reloads the supergraph from there.',
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
          'The subgraphs (their pods\' http port); Redis (REDIS_URL: the operator\'s, or local\'s pod); HTTPS, for',
          'the identity provider\'s JWKS_URL (and SUPERGRAPH_URL where one is polled). Pin the last two with',
          '`to: [{ipBlock: …}]` where their addresses are known.',
        ].join('\n'),
      ],
    ]),
  ];
}

/** A Kustomization file's content (kustomize's own schema: no published types to check it against). */
export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1' | 'kustomize.config.k8s.io/v1alpha1';
  kind: 'Kustomization' | 'Component';
  namespace?: string;
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }>;
  resources?: string[];
  components?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  configMapGenerator?: Array<{ name: string; literals?: string[]; envs?: string[]; files?: string[]; options?: { disableNameSuffixHash?: boolean } }>;
  patches?: Array<{ target: { kind?: string; name?: string; labelSelector?: string }; patch: string }>;
}

export function baseKustomization(departments: Department[]): Commented {
  const k: Kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    labels: [{ pairs: { 'app.kubernetes.io/part-of': 'zigong' }, includeSelectors: false, includeTemplates: true }],
    resources: ['network-policies.yaml', 'gateway.yaml', ...departments.map((d) => `departments/${d.name}.yaml`)],
    configMapGenerator: [{ name: GATEWAY_ROUTING, literals: departments.map((d) => `${d.urlVariable}=${d.serviceUrl}`) }],
  };
  return commented(k, [
    [[], 'The platform without a supergraph, namespace, image tag, replicas or pool size: apply an overlay, never the base.'],
    [['configMapGenerator'], 'Where the gateway finds each department. Generated with a content hash in its name, so a new\ndepartment rolls the gateway, which reads its environment only at start.'],
  ]);
}

export function supergraphComponent(): Commented {
  const k: Kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1alpha1',
    kind: 'Component',
    configMapGenerator: [{ name: 'supergraph', files: ['supergraph.graphql'], options: { disableNameSuffixHash: true } }],
  };
  return commented(k, [
    [
      [],
      [
        'The composed supergraph as the `supergraph` ConfigMap the gateway mounts. supergraph.graphql beside',
        'this file is a copy of schema/supergraph.graphql (kustomize loads no file outside its folder),',
        'written by `npm run compose` and `npm run deploy:generate`; tests/deploy fail when it differs.',
        'No hash suffix: the ConfigMap is updated in place and the gateway reloads the mounted file,',
        'without a rollout.',
      ].join('\n'),
    ],
  ]);
}

const json = (ops: Array<{ op: 'replace' | 'add'; path: string; value: unknown }>) =>
  ops.map((o) => `- op: ${o.op}\n  path: ${o.path}\n  value: ${JSON.stringify(o.value)}`).join('\n');

export function overlayKustomization(overlay: OverlaySpec, departments: Department[]): Commented {
  const budget = connectionBudget(departments.length, overlay);
  const replicas = (r: { min: number; max: number }) =>
    json([
      { op: 'replace', path: '/spec/minReplicas', value: r.min },
      { op: 'replace', path: '/spec/maxReplicas', value: r.max },
    ]);
  const k: Kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: 'zigong',
    // The overlay's own objects (its ConfigMaps, local's Postgres and Redis) labelled like the base's.
    labels: [{ pairs: { 'app.kubernetes.io/part-of': 'zigong' }, includeSelectors: false }],
    resources: ['../../base', ...(overlay.name === 'local' ? ['postgres.yaml', 'redis.yaml'] : [])],
    components: ['../../components/supergraph'],
    images: [{ name: IMAGE, ...overlay.image }],
    configMapGenerator: [
      { name: SUBGRAPH_SETTINGS, literals: [`DB_POOL_SIZE=${budget.poolSize}`, `SUBGRAPH_MODE=${overlay.subgraphMode}`] },
      ...(overlay.name === 'production' ? [{ name: GATEWAY_SETTINGS, envs: ['gateway.env'] }] : []),
    ],
    patches: [
      { target: { kind: 'HorizontalPodAutoscaler', labelSelector: `${COMPONENT}=subgraph` }, patch: replicas(overlay.subgraphReplicas) },
      { target: { kind: 'HorizontalPodAutoscaler', name: 'gateway' }, patch: replicas(overlay.gatewayReplicas) },
      // The mode pinned here, by value, so that no change to the base can weaken production.
      {
        target: { kind: 'Deployment', name: 'gateway' },
        patch: json([{ op: 'replace', path: '/spec/template/spec/containers/0/env/0', value: { name: 'GATEWAY_MODE', value: overlay.gatewayMode } }]),
      },
    ],
  };
  return commented(k, [
    [[], overlay.description.join('\n')],
    [
      ['configMapGenerator', 0],
      `Connection budget: ${budget.explanation}.\nWritten by \`npm run deploy:generate\`, which refuses an overlay that does not fit.`,
    ],
  ]);
}

/** Names and ports of a local overlay's in-cluster services. */
function localService(name: string, component: string, port: number, portName: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { ...labels(name, component) } },
    spec: { selector: { [NAME]: name }, ports: [{ name: portName, port, targetPort: portName }] },
  };
}

export function localPostgres(overlay: OverlaySpec): Commented[] {
  const pgIsReady = { exec: { command: ['pg_isready', '-U', 'zigong', '-d', 'zigong'] } };
  const postgres: Deployment = {
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
  return [
    commented(postgres, [
      [[], 'Postgres 16 for the local overlay only: one pod, data gone with it. Production uses the\noperator\'s Postgres, named by the zigong-database and zigong-migrate Secrets.'],
      [['spec', 'template', 'spec', 'securityContext'], 'The image\'s own postgres user (999), so its entrypoint needs no root to switch users.'],
      [['spec', 'template', 'spec', 'containers', 0, 'args'], 'What the overlay\'s connection budget assumes (kustomization.yaml).'],
    ]),
    commented(localService('postgres', 'database', 5432, 'postgres')),
    commented(
      policy('postgres', 'database', {
        podSelector: { matchLabels: { [NAME]: 'postgres' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { [COMPONENT]: 'subgraph' } } }], ports: [tcp('postgres')] }],
      }),
      [[[], 'Only the subgraphs\' pods (with their bootstrap and migrations) reach Postgres.']],
    ),
  ];
}

export function localRedis(): Commented[] {
  const redis: Deployment = {
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
  return [
    commented(redis, [[[], 'Redis 7 for the local overlay only (the gateway\'s shared caches and rate limits, the subgraphs\' replay cache): nothing persisted.']]),
    commented(localService('redis', 'cache', 6379, 'redis')),
    commented(
      policy('redis', 'cache', {
        podSelector: { matchLabels: { [NAME]: 'redis' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { [NAME]: 'gateway' } } }, { podSelector: { matchLabels: { [COMPONENT]: 'subgraph' } } }], ports: [tcp('redis')] }],
      }),
      [[[], 'Only the gateway and the subgraphs reach Redis.']],
    ),
  ];
}

/** The example values: public, for the local overlay's in-cluster Postgres only. */
export const EXAMPLE_POSTGRES_PASSWORD = 'dev-only-postgres-password';
export const EXAMPLE_SIGNING_SECRET = 'dev-only-signing-secret-not-for-production-0000';
export const EXAMPLE_JWT_SECRET = 'dev-only-jwt-secret-not-for-production-000000000';

export function secretExample(departments: Department[]): Commented[] {
  const url = (user: string) => `postgres://${user}:${EXAMPLE_POSTGRES_PASSWORD}@postgres:5432/zigong`;
  const secret = (name: string, stringData: Record<string, string>): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', stringData });
  return [
    commented(secret(SECRETS.database, Object.fromEntries(departments.map((d) => [d.name, url(d.login)]))), [
      [
        [],
        [
          'The Secrets the manifests read (secretKeyRef); kustomize never applies this file. Copy it, put in',
          'real values (or create the same Secrets with your secret manager) and apply it once:',
          '  kubectl -n zigong apply -f my-secrets.yaml',
          'The values below are public (dev-only-*): they suit only the local overlay\'s in-cluster Postgres,',
          'and every process in production mode refuses them.',
        ].join('\n'),
      ],
      [
        ['stringData'],
        [
          'Each subgraph\'s own login role, one per department. The bootstrap init container creates it',
          '(and its group <department>_rw) from this very URL before the migrations run, with this',
          'password; it is a member of its own group only, so it uses its own schema and no other.',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.migrate, Object.fromEntries(departments.map((d) => [d.name, url('zigong')]))), [
      [
        ['stringData'],
        [
          'The role the bootstrap and the migrations run as: it creates the department\'s roles (CREATEROLE)',
          'and owns its schema, so usually the database owner. Never the subgraph\'s own login.',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.signing, { secret: EXAMPLE_SIGNING_SECRET, 'redis-url': 'redis://redis:6379' }), [
      [
        ['stringData'],
        [
          'secret: shared by the gateway and every subgraph; at least 32 bytes (openssl rand -hex 32).',
          'redis-url (optional): where the replicas of each subgraph share the nonces of the signatures they',
          'accepted, so that a request replayed to another replica is refused too; without it each replica',
          'remembers only its own.',
        ].join('\n'),
      ],
    ]),
    commented(secret(SECRETS.gateway, { 'jwt-secret': EXAMPLE_JWT_SECRET, 'redis-url': 'redis://redis:6379' }), [
      [['stringData'], 'jwt-secret is optional when the production overlay\'s gateway.env sets JWKS_URL; at least 32 bytes.'],
    ]),
    commented(secret(SECRETS.localPostgres, { password: EXAMPLE_POSTGRES_PASSWORD }), [
      [[], 'Only for overlays/local, whose Postgres reads its password from here.'],
    ]),
  ];
}

export { OVERLAYS };
