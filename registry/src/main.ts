import { registryPages } from '@zigong/explorer';
import { loadTracingConfig, onTermination, runMain, startTracing } from '@zigong/platform';
import { loadRegistryConfig } from './config';
import { startRegistry } from './server';

runMain(async () => {
  const config = loadRegistryConfig();
  const tracing = await startTracing(loadTracingConfig('registry'));
  // The registry's pages are mounted here, so the registry's own code loads no UI.
  const registry = await startRegistry(config, { pages: registryPages() });
  onTermination(async () => {
    await registry.stop();
    await tracing?.shutdown();
  });
});
