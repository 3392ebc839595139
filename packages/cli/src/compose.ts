import { runMain } from '@zigong/kit';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SUPERGRAPH_COPY } from './deploy/kubernetes/index';
import { composeRegistry, CompositionError } from './composition';
import { ROOT } from './paths';
import { readRegistry } from './registry';
import { writeComposedSchema } from './schema-files';

/** `npm run compose`: every department's SDL, the supergraph and the API schema, into schema/. */
runMain(async () => {
  try {
    const composed = await composeRegistry(readRegistry());
    const written = writeComposedSchema(composed);
    // The Kubernetes supergraph component's copy (kustomize reads no file outside its folder).
    writeFileSync(join(ROOT, SUPERGRAPH_COPY), composed.supergraphSdl);
    written.push(join(ROOT, SUPERGRAPH_COPY));
    console.log(`Composed ${composed.subgraphs.length} subgraphs:\n${written.map((p) => `  ${relative(ROOT, p)}`).join('\n')}`);
  } catch (error) {
    if (!(error instanceof CompositionError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
});
