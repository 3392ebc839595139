import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** The registry of departments, at the repository's root, in rover's supergraph config format. */
export const REGISTRY_FILE = 'supergraph.yaml';

export interface RegisteredSubgraph {
  name: string;
  routingUrl: string;
  /** Where the subgraph's printed SDL is kept, absolute (`schema.file`, from the registry's folder). */
  schemaFile: string;
}

/** Reads a registry; a malformed entry fails with the entry's name. */
export function readRegistry(path: string): RegisteredSubgraph[] {
  const document = parse(readFileSync(path, 'utf8')) as { subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }> };
  const entries = Object.entries(document?.subgraphs ?? {});
  if (!entries.length) throw new Error(`${path} lists no subgraphs.`);
  return entries.map(([name, entry]) => {
    if (!entry?.routing_url || !entry.schema?.file) {
      throw new Error(`${path}: subgraph "${name}" needs routing_url and schema.file.`);
    }
    return { name, routingUrl: entry.routing_url, schemaFile: resolve(dirname(path), entry.schema.file) };
  });
}

/** The nearest registry in `from` or a folder above it; undefined when there is none. */
export function findRegistry(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, REGISTRY_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The port a department listens on unless PORT says otherwise: its routing URL's in the registry
 * found from `from` (where its main module lies). Throws, saying what to do, when there is none.
 */
export function registeredPort(name: string, from: string): number {
  const path = findRegistry(from);
  if (!path) throw new Error(`${name}: PORT is not set, and there is no ${REGISTRY_FILE} in ${resolve(from)} or above it to take the port from.`);
  const entry = readRegistry(path).find((subgraph) => subgraph.name === name);
  if (!entry) throw new Error(`${name}: PORT is not set, and ${path} does not register ${name} (npm run department:new does).`);
  const url = new URL(entry.routingUrl);
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}
