import { composeServices } from '@apollo/composition';
import { buildDepartmentSchema } from '@zigong/kit';
import { parse, printSchema } from 'graphql';
import { loadDepartment, type RegisteredSubgraph } from './registry';

export interface Composed {
  subgraphs: Array<RegisteredSubgraph & { sdl: string }>;
  supergraphSdl: string;
  /** The schema clients see: the supergraph without federation's machinery. */
  apiSdl: string;
}

export class CompositionError extends Error {
  constructor(readonly messages: string[]) {
    super(`Composition failed:\n${messages.map((m) => `  - ${m}`).join('\n')}`);
  }
}

/** Prints each department's SDL from its code (no servers needed) and composes them. */
export async function composeRegistry(registry: RegisteredSubgraph[]): Promise<Composed> {
  const subgraphs = [];
  for (const entry of registry) {
    const { sdl } = await buildDepartmentSchema(loadDepartment(entry.name));
    subgraphs.push({ ...entry, sdl });
  }
  return composeSdl(subgraphs);
}

export function composeSdl(subgraphs: Array<RegisteredSubgraph & { sdl: string }>): Composed {
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.routingUrl, typeDefs: parse(s.sdl) })));
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return {
    subgraphs,
    supergraphSdl: result.supergraphSdl,
    apiSdl: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()) + '\n',
  };
}
