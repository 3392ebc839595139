import { gatewayPages } from '@zigong/explorer';
import { onTermination, runMain } from '@zigong/platform';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway';

runMain(async () => {
  const config = loadGatewayConfig();
  // The analysts' pages are mounted here, so the gateway's own code loads no UI.
  const gateway = await startGateway(config, undefined, { pages: gatewayPages(config.operationsDir) });
  onTermination(gateway.stop);
});
