import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { ROOT, SUPERGRAPH_PATH } from '../paths';
import { composeFile } from './compose-file';
// './kubernetes/index', not './kubernetes': the generator was one kubernetes.ts, and the
// kubernetes.js an older build left in dist/ would be found before the folder.
import {
  baseKustomization,
  DEPARTMENTS_DIR,
  departmentFile,
  gatewayFile,
  K8S,
  localPostgres,
  localRedis,
  namespacePolicies,
  overlayKustomization,
  registryFile,
  secretExample,
  SUPERGRAPH_COPY,
  supergraphComponent,
} from './kubernetes/index';
import { type Department, departmentsOf, OVERLAYS, type RegistryEntry } from './model';
import { yamlFile } from './yaml-output';

/** What the generated files depend on besides the registry: files that stay hand-written. */
export interface Current {
  /** infra/router/router.yaml: only its per-department maps are rewritten. */
  routerYaml: string;
  /** schema/supergraph.graphql, copied into the supergraph component. */
  supergraph: string;
}

export function readCurrent(root = ROOT): Current {
  return {
    routerYaml: readFileSync(join(root, 'infra/router/router.yaml'), 'utf8'),
    supergraph: readFileSync(root === ROOT ? SUPERGRAPH_PATH : join(root, 'schema/supergraph.graphql'), 'utf8'),
  };
}

/** Every generated file, by path from the repository root. */
export function render(registry: RegistryEntry[], current: Current): Map<string, string> {
  const departments = departmentsOf(registry);
  const files = new Map<string, string>();
  files.set(`${K8S}/base/network-policies.yaml`, yamlFile(namespacePolicies()));
  files.set(`${K8S}/base/gateway.yaml`, yamlFile(gatewayFile()));
  files.set(`${K8S}/base/registry.yaml`, yamlFile(registryFile()));
  for (const d of departments) files.set(`${DEPARTMENTS_DIR}/${d.name}.yaml`, yamlFile(departmentFile(d)));
  files.set(`${K8S}/base/kustomization.yaml`, yamlFile([baseKustomization(departments)]));
  files.set(`${K8S}/components/supergraph/kustomization.yaml`, yamlFile([supergraphComponent()]));
  files.set(SUPERGRAPH_COPY, current.supergraph);
  for (const overlay of OVERLAYS) {
    files.set(`${K8S}/overlays/${overlay.name}/kustomization.yaml`, yamlFile([overlayKustomization(overlay, departments)]));
    if (overlay.name === 'local') {
      files.set(`${K8S}/overlays/local/postgres.yaml`, yamlFile(localPostgres(overlay)));
      files.set(`${K8S}/overlays/local/redis.yaml`, yamlFile(localRedis()));
    }
  }
  files.set(`${K8S}/secret.example.yaml`, yamlFile(secretExample(departments)));
  files.set('infra/docker-compose.yml', yamlFile([composeFile(departments)]));
  files.set('infra/router/router.yaml', syncRouter(current.routerYaml, departments));
  return files;
}

/**
 * router.yaml keeps its hand-written settings and comments; only the two per-department maps are
 * rewritten: where each subgraph lives (SUBGRAPH_<NAME>_URL, as for our gateway) and its timeout.
 */
export function syncRouter(text: string, departments: Department[]): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`infra/router/router.yaml: ${doc.errors[0].message}`);
  doc.set(
    'override_subgraph_url',
    doc.createNode(Object.fromEntries(departments.map((d) => [d.name, `\${env.${d.urlVariable}:-http://127.0.0.1:${d.port}/graphql}`]))),
  );
  const timeout = doc.getIn(['traffic_shaping', 'all', 'timeout']);
  if (!timeout) throw new Error('infra/router/router.yaml needs traffic_shaping.all.timeout, the default per-subgraph timeout.');
  const current = doc.getIn(['traffic_shaping', 'subgraphs']);
  const previous = isMap(current) ? (current.toJSON() as Record<string, unknown>) : {};
  doc.setIn(['traffic_shaping', 'subgraphs'], doc.createNode(Object.fromEntries(departments.map((d) => [d.name, previous[d.name] ?? { timeout }]))));
  return doc.toString({ lineWidth: 0 });
}

/** Files the generator owns that it no longer writes: removed, so no stale department stays deployed. */
export function staleFiles(files: Map<string, string>, root = ROOT): string[] {
  const owned = [DEPARTMENTS_DIR, `${K8S}/base/gateway`];
  return owned.flatMap((dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .map((f) => `${dir}/${f}`)
          .filter((path) => !files.has(path))
      : [],
  );
}
