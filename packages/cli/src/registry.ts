import { type AnyDepartment, readRegistry as readRegistryFile, type RegisteredSubgraph } from '@zigong/kit';
import { resolve } from 'node:path';
import { REGISTRY_PATH, ROOT } from './paths';

export type { RegisteredSubgraph };

/** Reads supergraph.yaml (the kit's reader, which departments use for their ports too). */
export function readRegistry(path = REGISTRY_PATH): RegisteredSubgraph[] {
  return readRegistryFile(path);
}

/**
 * A registered department's module: the package `@zigong/<name>`, or the folder `subgraphs/<name>`
 * when a new department has not been linked into node_modules yet.
 */
export function loadDepartment(name: string): AnyDepartment {
  let module: { default?: AnyDepartment };
  try {
    module = require(`@zigong/${name}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    module = require(resolve(ROOT, 'subgraphs', name));
  }
  const department = module.default;
  if (!department || department.name !== name) {
    throw new Error(`@zigong/${name} must export its department (defineDepartment({ name: "${name}", ... })) as default.`);
  }
  return department;
}
