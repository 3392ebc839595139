import { connectionBudget, type Department, IMAGE, type OverlaySpec } from '../model';
import { type Commented, commented } from '../yaml-output';
import { COMPONENT, GATEWAY_ROUTING, GATEWAY_SETTINGS, SUBGRAPH_SETTINGS } from './names';

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
