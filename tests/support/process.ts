import { freePort, ROOT, type Service, spawnService, stopServices, waitUntilUp } from '@zigong/cli';
import { join } from 'node:path';

/**
 * One process of the platform (a subgraph's, the gateway's or the registry's built main.js) on a free port of
 * 127.0.0.1, resolved once its /ready answers (stopped if it never does); `env` adds to this
 * process's environment. The caller stops it (stopServices).
 *
 * freePort's port is free when asked, not when the child binds it: a test in another jest worker
 * can take it in between. A child that exits on EADDRINUSE is started again on another port; any
 * other early exit fails with the child's last lines of output.
 */
export async function startProcess(name: string, script: string, env: Record<string, string>): Promise<Service> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const output: string[] = [];
    const service = spawnService(name, join(ROOT, script), `${base}/graphql`, `${base}/ready`, {
      ...process.env,
      // As the local runner starts them; a test that wants production says so in `env`.
      GATEWAY_MODE: 'local',
      SUBGRAPH_MODE: 'local',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEWAY_PORT: String(port),
      REGISTRY_PORT: String(port),
      ...env,
    }, (line) => output.push(line) > 40 && output.shift());
    try {
      await waitUntilUp(service);
      return service;
    } catch (error) {
      await stopServices([service]);
      const printed = output.join('\n');
      if (attempt < 3 && /EADDRINUSE|already in use/.test(printed)) continue;
      throw new Error(`${(error as Error).message}\n${printed}`);
    }
  }
}
