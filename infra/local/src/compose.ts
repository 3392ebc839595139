import { runMain } from '@zigong/kit';
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composeRegistry, CompositionError } from './composition';
import { API_SCHEMA_PATH, ROOT, SUPERGRAPH_PATH } from './paths';
import { readRegistry } from './registry';

/** `npm run compose`: every department's SDL, the supergraph and the API schema, into schema/. */
runMain(async () => {
  try {
    const composed = await composeRegistry(readRegistry());
    for (const subgraph of composed.subgraphs) writeFileSync(subgraph.schemaFile, subgraph.sdl);
    writeFileSync(SUPERGRAPH_PATH, composed.supergraphSdl);
    writeFileSync(API_SCHEMA_PATH, composed.apiSdl);
    const written = [...composed.subgraphs.map((s) => s.schemaFile), SUPERGRAPH_PATH, API_SCHEMA_PATH];
    console.log(`Composed ${composed.subgraphs.length} subgraphs:\n${written.map((p) => `  ${relative(ROOT, p)}`).join('\n')}`);
  } catch (error) {
    if (!(error instanceof CompositionError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
});
