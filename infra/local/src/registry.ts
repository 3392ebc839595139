import type { AnyDepartment } from '@zigong/kit';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { REGISTRY_PATH, ROOT } from './paths';

export interface RegisteredSubgraph {
  name: string;
  routingUrl: string;
  /** Where the subgraph's printed SDL is kept, absolute. */
  schemaFile: string;
}

/** Reads supergraph.yaml; a malformed entry fails with the entry's name. */
export function readRegistry(path = REGISTRY_PATH): RegisteredSubgraph[] {
  const document = parse(readFileSync(path, 'utf8')) as { subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }> };
  const entries = Object.entries(document?.subgraphs ?? {});
  if (!entries.length) throw new Error(`${path} lists no subgraphs.`);
  return entries.map(([name, entry]) => {
    if (!entry?.routing_url || !entry.schema?.file) {
      throw new Error(`${path}: subgraph "${name}" needs routing_url and schema.file.`);
    }
    return { name, routingUrl: entry.routing_url, schemaFile: resolve(ROOT, entry.schema.file) };
  });
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
