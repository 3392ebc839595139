import { stringify } from 'yaml';
import { connectionBudget, type Department, IMAGE, type OverlaySpec, REGISTRY, SUPERGRAPH_DIR, TRACES_SAMPLER } from '../model';
import { type Commented, commented } from '../yaml-output';
import { COMPONENT, GATEWAY_ROUTING, GATEWAY_SETTINGS, SUBGRAPH_SETTINGS, TRACING_SAMPLER } from './names';

/** The kustomization files: the base's, the supergraph component's and each overlay's. */

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
    resources: ['network-policies.yaml', 'gateway.yaml', `${REGISTRY.name}.yaml`, ...departments.map((d) => `departments/${d.name}.yaml`)],
    configMapGenerator: [
      { name: GATEWAY_ROUTING, literals: departments.map((d) => `${d.urlVariable}=${d.serviceUrl}`) },
      { name: TRACING_SAMPLER, literals: Object.entries(TRACES_SAMPLER).map(([name, value]) => `${name}=${value}`) },
    ],
  };
  return commented(k, [
    [[], 'The platform without a namespace, image tag, replicas or pool size: apply an overlay, never the base.'],
    [['configMapGenerator', 0], 'Where the gateway finds each department. Generated with a content hash in its name, so a new\ndepartment rolls the gateway, which reads its environment only at start.'],
    [
      ['configMapGenerator', 1],
      'Which requests are traced once the optional `tracing` ConfigMap names a collector: a tenth of those\nwithout a trace, and what a caller\'s traceparent decided for the rest. `tracing` may set others.',
    ],
  ]);
}

/**
 * The optional alternative to the registry: the committed supergraph as a ConfigMap the gateway
 * mounts and watches. An overlay that lists this component runs its gateways on that file; the
 * registry is still deployed, but no gateway polls it.
 */
export function supergraphComponent(): Commented {
  const gatewayOnFile = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'gateway' },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'gateway',
              env: [
                { name: 'SUPERGRAPH_URL', $patch: 'delete' },
                { name: 'SUPERGRAPH_KEY', $patch: 'delete' },
                { name: 'SUPERGRAPH_CACHE_PATH', $patch: 'delete' },
                { name: 'SUPERGRAPH_PATH', value: `${SUPERGRAPH_DIR}/supergraph.graphql` },
              ],
              volumeMounts: [{ name: 'supergraph', mountPath: SUPERGRAPH_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: 'supergraph', configMap: { name: 'supergraph' } }],
        },
      },
    },
  };
  const k: Kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1alpha1',
    kind: 'Component',
    configMapGenerator: [{ name: 'supergraph', files: ['supergraph.graphql'], options: { disableNameSuffixHash: true } }],
    patches: [{ target: { kind: 'Deployment', name: 'gateway' }, patch: stringify(gatewayOnFile, { lineWidth: 0 }).trimEnd() }],
  };
  return commented(k, [
    [
      [],
      [
        'Optional, in no overlay by default: the gateways run on the committed supergraph instead of polling',
        'the registry. List it in an overlay to use it (a cluster without a registry, or while one is set up):',
        '  components: [../../components/supergraph]',
        'The supergraph becomes the `supergraph` ConfigMap the gateway mounts. supergraph.graphql beside',
        'this file is a copy of schema/supergraph.graphql (kustomize loads no file outside its folder),',
        'written by `npm run compose` and `npm run deploy:generate`; tests/deploy fail when it differs.',
        'No hash suffix: the ConfigMap is updated in place and the gateway reloads the mounted file,',
        'without a rollout.',
      ].join('\n'),
    ],
    [
      ['patches', 0],
      'The gateway on the mounted file: the registry\'s settings removed (SUPERGRAPH_URL would win over\nSUPERGRAPH_PATH), the directory mounted, not a subPath, so the kubelet swaps the file in place.',
    ],
  ]);
}

const json = (ops: Array<{ op: 'replace' | 'add'; path: string; value: unknown }>) =>
  ops.map((o) => `- op: ${o.op}\n  path: ${o.path}\n  value: ${JSON.stringify(o.value)}`).join('\n');

/** A strategic merge patch of one container of the Deployment of the same name (lists merge by name). */
function containerPatch(name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): string {
  const patch = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { ...spec, template: { spec: { containers: [{ name, ...container }] } } } };
  return stringify(patch, { lineWidth: 0 }).trimEnd();
}

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
    images: [{ name: IMAGE, ...overlay.image }],
    configMapGenerator: [
      { name: SUBGRAPH_SETTINGS, literals: [`DB_POOL_SIZE=${budget.poolSize}`, `SUBGRAPH_MODE=${overlay.subgraphMode}`] },
      ...(overlay.name === 'production' ? [{ name: GATEWAY_SETTINGS, envs: ['gateway.env'] }] : []),
    ],
    patches: [
      { target: { kind: 'HorizontalPodAutoscaler', labelSelector: `${COMPONENT}=subgraph` }, patch: replicas(overlay.subgraphReplicas) },
      { target: { kind: 'HorizontalPodAutoscaler', name: 'gateway' }, patch: replicas(overlay.gatewayReplicas) },
      // The modes pinned here, by value, so that no change to the base can weaken production; merged by
      // the variable's name (not replaced by index), whatever a component adds to the environment.
      { target: { kind: 'Deployment', name: 'gateway' }, patch: containerPatch('gateway', { env: [{ name: 'GATEWAY_MODE', value: overlay.gatewayMode }] }) },
      {
        target: { kind: 'Deployment', name: REGISTRY.name },
        patch: containerPatch(REGISTRY.name, { env: [{ name: 'REGISTRY_MODE', value: overlay.registryMode }] }, { replicas: overlay.registryReplicas }),
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
