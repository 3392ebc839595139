import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';

/** One subgraph to compose: its name, where gateways route to it, and its SDL. */
export interface SubgraphInput {
  name: string;
  routingUrl: string;
  sdl: string;
}

export interface Composed<S extends SubgraphInput = SubgraphInput> {
  subgraphs: S[];
  supergraphSdl: string;
  /** The schema clients see: the supergraph without federation's machinery. */
  apiSdl: string;
}

export class CompositionError extends Error {
  constructor(readonly messages: string[]) {
    super(`Composition failed:\n${messages.map((m) => `  - ${m}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

/**
 * Composes subgraphs with @apollo/composition (the version the gateway runs), as `zigong compose`
 * does at build time and the registry does on every publish: the one composition of the platform.
 * Throws CompositionError with every error the composer reports; an SDL that does not parse is
 * reported as an error of its subgraph, not thrown.
 */
export function composeSdl<S extends SubgraphInput>(subgraphs: S[]): Composed<S> {
  const services = [];
  const unparsable: string[] = [];
  for (const subgraph of subgraphs) {
    try {
      services.push({ name: subgraph.name, url: subgraph.routingUrl, typeDefs: parse(subgraph.sdl) });
    } catch (error) {
      unparsable.push(`[${subgraph.name}] ${(error as Error).message}`);
    }
  }
  if (unparsable.length) throw new CompositionError(unparsable);
  if (services.length === 0) throw new CompositionError(['There is no subgraph to compose.']);
  const result = composeServices(services);
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return {
    subgraphs,
    supergraphSdl: result.supergraphSdl,
    apiSdl: printSchema(result.schema.toAPISchema().toGraphQLJSSchema()) + '\n',
  };
}
