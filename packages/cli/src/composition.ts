import { buildDepartmentSchema } from '@zigong/kit';
import { type Composed as ComposedSet, composeSdl, CompositionError } from '@zigong/registry';
import { loadDepartment, type RegisteredSubgraph } from './registry';

/** The one composition of the platform lives in the registry, which composes every publish with it. */
export { composeSdl, CompositionError };

export type Composed = ComposedSet<RegisteredSubgraph & { sdl: string }>;

/** Prints each department's SDL from its code (no servers needed) and composes them. */
export async function composeRegistry(registry: RegisteredSubgraph[]): Promise<Composed> {
  const subgraphs = [];
  for (const entry of registry) {
    const { sdl } = await buildDepartmentSchema(loadDepartment(entry.name));
    subgraphs.push({ ...entry, sdl });
  }
  return composeSdl(subgraphs);
}
