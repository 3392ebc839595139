import { gatewayPages } from '@zigong/explorer';
import { loadTracingConfig, onTermination, runMain, startTracing } from '@zigong/platform';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway';

runMain(async () => {
  const config = loadGatewayConfig();
  const tracing = await startTracing(loadTracingConfig('gateway'));
  // The analysts' pages are mounted here, so the gateway's own code loads no UI.
  const gateway = await startGateway(config, undefined, { pages: gatewayPages(config.operationsDir) });
  onTermination(async () => {
    await gateway.stop();
    await tracing?.shutdown();
  });
});
