import { freePort, ROOT, type Service, spawnService, stopServices, waitUntilUp } from '@zigong/cli';
import { join } from 'node:path';

/**
 * One process of the platform (a subgraph's or the gateway's built main.js) on a free port of
 * 127.0.0.1, resolved once its /ready answers (stopped if it never does); `env` adds to this
 * process's environment. The caller stops it (stopServices).
 */
export async function startProcess(name: string, script: string, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = spawnService(name, join(ROOT, script), `${base}/graphql`, `${base}/ready`, {
    ...process.env,
    // As the local runner starts them; a test that wants production says so in `env`.
    GATEWAY_MODE: 'local',
    SUBGRAPH_MODE: 'local',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    GATEWAY_PORT: String(port),
    ...env,
  }, () => undefined);
  try {
    await waitUntilUp(service);
  } catch (error) {
    await stopServices([service]);
    throw error;
  }
  return service;
}
