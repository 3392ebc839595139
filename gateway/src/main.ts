import { onTermination, runMain } from '@zigong/kit';
import { loadGatewayConfig } from './config';
import { startGateway } from './gateway';

runMain(async () => {
  const gateway = await startGateway(loadGatewayConfig());
  onTermination(gateway.stop);
});
