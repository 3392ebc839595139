import { runMain } from '@zigong/kit';
import { relative } from 'node:path';
import { composeRegistry, CompositionError } from './composition';
import { ROOT } from './paths';
import { readRegistry } from './registry';
import { writeComposedSchema } from './schema-files';

/** `npm run compose`: every department's SDL, the supergraph and the API schema, into schema/. */
runMain(async () => {
  try {
    const composed = await composeRegistry(readRegistry());
    const written = writeComposedSchema(composed);
    console.log(`Composed ${composed.subgraphs.length} subgraphs:\n${written.map((p) => `  ${relative(ROOT, p)}`).join('\n')}`);
  } catch (error) {
    if (!(error instanceof CompositionError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
});
