import { randomBytes } from 'node:crypto';
import { loadGatewayConfig, mintToken, startGateway, type RunningGateway } from '@zigong/gateway';
import { SUPERGRAPH_PATH } from '@zigong/cli';
import { SIGNING_SECRET, TEST_AUDIENCE, TEST_ISSUER } from './platform';

/** A secret of this helper's own: tokens minted for one test gateway do not open another. */
// Random, as production mode (which some extra gateways run in) refuses guessable secrets.
const EXTRA_JWT_SECRET = randomBytes(32).toString('hex');

export interface ExtraGateway {
  url: string;
  gateway: RunningGateway;
  token(scope: string, options?: { sub?: string; expiresIn?: string | number }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Another gateway over subgraphs that are already running (the test platform's, or child
 * processes), with its own environment: production mode, a short subgraph timeout, another
 * supergraph file. Cheaper than a second platform, and it sees the same data.
 */
export async function startExtraGateway(subgraphUrls: Record<string, string>, env: Record<string, string> = {}): Promise<ExtraGateway> {
  const config = loadGatewayConfig({
    GATEWAY_MODE: 'local',
    GATEWAY_PORT: '0',
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
    HOST: '127.0.0.1',
    JWT_SECRET: EXTRA_JWT_SECRET,
    GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
    LOG_LEVEL: 'silent',
    SUPERGRAPH_PATH,
    ...env,
  });
  const gateway = await startGateway({ ...config, subgraphUrls });
  return {
    url: gateway.url,
    gateway,
    token: (scope, { sub = 'tester', expiresIn = '10m' } = {}) => mintToken(EXTRA_JWT_SECRET, { sub, scope, expiresIn, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    stop: () => gateway.stop(),
  };
}
