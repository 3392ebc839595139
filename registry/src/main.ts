import { loadTracingConfig, onTermination, runMain, startTracing } from '@zigong/platform';
import { loadRegistryConfig } from './config';
import { startRegistry } from './server';

runMain(async () => {
  const config = loadRegistryConfig();
  const tracing = await startTracing(loadTracingConfig('registry'));
  const registry = await startRegistry(config);
  onTermination(async () => {
    await registry.stop();
    await tracing?.shutdown();
  });
});
