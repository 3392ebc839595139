import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './paths';
import type { RegisteredSubgraph } from './registry';

export interface Service {
  name: string;
  url: string;
  probe: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface LaunchOptions {
  registry: RegisteredSubgraph[];
  databaseUrl: string;
  gatewayPort: number;
  /** Shared by the gateway and the subgraphs; without one, subgraphs serve reads only. */
  signingSecret?: string;
  env?: NodeJS.ProcessEnv;
  /** Where each service's output lines go; prefixed with its name. */
  output?: (line: string) => void;
}

/**
 * The heap of each process, as the Kubernetes deployment sets it. Without an old-space cap V8
 * let the gateway's heap grow to ~200 MB of mostly garbage under load (RSS over 300 MB); at 256
 * it collected so often that the gateway spent ~20% more CPU per dashboard request; 384 keeps
 * RSS near 180 MB at no measurable cost. A request's garbage is short-lived: with 32 MB
 * semi-spaces instead of V8's 16 it dies in the young generation, for ~5% less Node CPU per
 * dashboard request at ~30 MB more RSS a process. A NODE_OPTIONS of the caller's own wins.
 */
export const GATEWAY_NODE_OPTIONS = '--max-old-space-size=384 --max-semi-space-size=32';
export const SUBGRAPH_NODE_OPTIONS = '--max-old-space-size=200 --max-semi-space-size=32';

/**
 * What the local runner says, unless its caller's environment says otherwise: without it the
 * gateway and the subgraphs run in production mode and refuse the development defaults.
 */
export const LOCAL_MODES = { GATEWAY_MODE: 'local', SUBGRAPH_MODE: 'local' } as const;

/** Every department as its own process at its `routing_url` port, then the gateway; resolves when all answer. */
export async function launchServices(options: LaunchOptions): Promise<{ gateway: Service; subgraphs: Service[] }> {
  const env: NodeJS.ProcessEnv = { ...LOCAL_MODES, ...process.env, ...options.env, DATABASE_URL: options.databaseUrl };
  if (options.signingSecret) env.GATEWAY_SIGNING_SECRET = options.signingSecret;
  const subgraphs: Service[] = [];
  try {
    for (const entry of options.registry) {
      const url = new URL(entry.routingUrl);
      const script = resolve(ROOT, 'subgraphs', entry.name, 'dist', 'main.js');
      const subgraphEnv = { ...env, PORT: url.port, HOST: url.hostname, NODE_OPTIONS: env.NODE_OPTIONS ?? SUBGRAPH_NODE_OPTIONS };
      subgraphs.push(spawnService(entry.name, script, entry.routingUrl, new URL('/ready', url).toString(), subgraphEnv, options.output));
    }
    await Promise.all(subgraphs.map((service) => waitUntilUp(service)));
    const base = `http://127.0.0.1:${options.gatewayPort}`;
    const gateway = spawnService('gateway', resolve(ROOT, 'gateway', 'dist', 'main.js'), `${base}/graphql`, `${base}/health`, {
      ...env,
      GATEWAY_PORT: String(options.gatewayPort),
      NODE_OPTIONS: env.NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS,
    }, options.output);
    subgraphs.push(gateway);
    await waitUntilUp(gateway);
    subgraphs.pop();
    return { gateway, subgraphs };
  } catch (error) {
    await stopServices(subgraphs);
    throw error;
  }
}

export function spawnService(
  name: string,
  script: string,
  url: string,
  probe: string,
  env: NodeJS.ProcessEnv,
  output = console.log,
  args: string[] = [],
  cwd?: string,
): Service {
  // Detached: a Ctrl-C reaches only the runner, which then stops each service once, in order.
  // The IPC channel lets a service notice when the runner is gone.
  const child = spawn(process.execPath, [script, ...args], { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => output(`[${name}] ${line}`));
  }
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { name, url, probe, child, exited };
}

export async function waitUntilUp(service: Service, timeoutMs = 60_000): Promise<void> {
  let exitCode: number | null | undefined;
  void service.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${service.name} exited (code ${exitCode}) before it was ready.`);
    try {
      if ((await fetch(service.probe)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${service.name} was not ready at ${service.probe} within ${timeoutMs / 1000} s.`);
}

/** SIGTERM to each (they finish in-flight requests), SIGKILL after 10 s. */
export async function stopServices(services: Service[]): Promise<void> {
  for (const service of services) service.child.kill('SIGTERM');
  const forced = setTimeout(() => services.forEach((s) => s.child.kill('SIGKILL')), 10_000);
  await Promise.all(services.map((s) => s.exited));
  clearTimeout(forced);
}
