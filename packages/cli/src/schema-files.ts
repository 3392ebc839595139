import { writeFileSync } from 'node:fs';
import type { Composed } from './composition';
import { API_SCHEMA_PATH, SUPERGRAPH_PATH } from './paths';

/**
 * Writes a composition into schema/: each department's SDL to its registered file, then the
 * supergraph and the API schema. Returns the paths written, in that order.
 */
export function writeComposedSchema(composed: Composed, { supergraphPath = SUPERGRAPH_PATH, apiSchemaPath = API_SCHEMA_PATH } = {}): string[] {
  for (const subgraph of composed.subgraphs) writeFileSync(subgraph.schemaFile, subgraph.sdl);
  writeFileSync(supergraphPath, composed.supergraphSdl);
  writeFileSync(apiSchemaPath, composed.apiSdl);
  return [...composed.subgraphs.map((s) => s.schemaFile), supergraphPath, apiSchemaPath];
}
