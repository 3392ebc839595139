import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { mintToken } from '@zigong/kit';
import { ROOT } from './paths';
import type { RegisteredSubgraph } from './registry';
import { RegistryClient, RegistryError } from './registry-client';
import { EXIT, exitCodeFor, formatFailure, publishSubgraph, sdlFromSubgraph } from './registry-verbs';

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
  /**
   * The schema registry, as `zigong dev` runs it: started after the subgraphs, each department's
   * SDL published to `production` from its running server, the gateway then polling it. Without
   * it the gateway reads the committed supergraph file (the bench, and tests that need no registry).
   */
  schemaRegistry?: SchemaRegistryOptions;
}

export interface SchemaRegistryOptions {
  port: number;
  /** Its migrations are applied already (migrateRegistry). */
  databaseUrl: string;
  /** Where the gateway keeps the last supergraph it loaded, so it starts while the registry is down. */
  cachePath: string;
  /** Signs each department's `--from` publish token: the registry's JWT_SECRET, the development one by default. */
  jwtSecret: string;
  /** Said for each department: published, unchanged or refused. */
  report?: (line: string) => void;
}

/** The variant `zigong dev` publishes to and its gateway is served. */
export const LOCAL_VARIANT = 'production';

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

/**
 * Every department as its own process at its `routing_url` port, then (with `schemaRegistry`) the
 * registry with every department published to it, then the gateway; resolves when all answer.
 */
export async function launchServices(options: LaunchOptions): Promise<{ gateway: Service; subgraphs: Service[]; registry?: Service }> {
  const env: NodeJS.ProcessEnv = { ...LOCAL_MODES, ...process.env, ...options.env, DATABASE_URL: options.databaseUrl };
  if (options.signingSecret) env.GATEWAY_SIGNING_SECRET = options.signingSecret;
  const started: Service[] = [];
  try {
    for (const entry of options.registry) {
      const url = new URL(entry.routingUrl);
      const script = resolve(ROOT, 'subgraphs', entry.name, 'dist', 'main.js');
      const subgraphEnv = { ...env, PORT: url.port, HOST: url.hostname, NODE_OPTIONS: env.NODE_OPTIONS ?? SUBGRAPH_NODE_OPTIONS };
      started.push(spawnService(entry.name, script, entry.routingUrl, new URL('/ready', url).toString(), subgraphEnv, options.output));
    }
    const subgraphs = [...started];
    let registry: Service | undefined;
    const gatewayEnv: NodeJS.ProcessEnv = { ...env, GATEWAY_PORT: String(options.gatewayPort), NODE_OPTIONS: env.NODE_OPTIONS ?? GATEWAY_NODE_OPTIONS };
    if (options.schemaRegistry) {
      // Started beside the subgraphs: its migrations are applied, it needs none of them to answer.
      registry = startSchemaRegistry(options.schemaRegistry, env, options.output);
      started.push(registry);
      await Promise.all([...subgraphs, registry].map((service) => waitUntilUp(service)));
      await publishDepartments(options.registry, registry, options.schemaRegistry, options.signingSecret);
      Object.assign(gatewayEnv, {
        SUPERGRAPH_URL: `${new URL(registry.url).origin}/supergraph?variant=${LOCAL_VARIANT}`,
        SUPERGRAPH_CACHE_PATH: options.schemaRegistry.cachePath,
        // A publish shows in the local gateway as fast as a recomposed file did (10 s is production's).
        SUPERGRAPH_POLL_MS: env.SUPERGRAPH_POLL_MS ?? '2000',
        // A query shows in `zigong usage field` within seconds, not the minute production waits.
        USAGE_FLUSH_MS: env.USAGE_FLUSH_MS ?? '5000',
      });
    } else {
      await Promise.all(subgraphs.map((service) => waitUntilUp(service)));
    }
    const base = `http://127.0.0.1:${options.gatewayPort}`;
    const gateway = spawnService('gateway', resolve(ROOT, 'gateway', 'dist', 'main.js'), `${base}/graphql`, `${base}/health`, gatewayEnv, options.output);
    started.push(gateway);
    await waitUntilUp(gateway);
    return { gateway, subgraphs, registry };
  } catch (error) {
    await stopServices(started);
    throw error;
  }
}

function startSchemaRegistry(options: SchemaRegistryOptions, env: NodeJS.ProcessEnv, output?: (line: string) => void): Service {
  const base = `http://127.0.0.1:${options.port}`;
  return spawnService('registry', resolve(ROOT, 'registry', 'dist', 'main.js'), `${base}/graphql`, `${base}/ready`, {
    ...env,
    REGISTRY_MODE: 'local',
    REGISTRY_PORT: String(options.port),
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
  }, output);
}

/**
 * Each department's SDL, from its running server, published to the local registry: the stand-in
 * for each department's CI step, through the code of `zigong subgraph publish --from`. A refusal
 * is reported and the rest go on: the registry keeps serving its last accepted composition, as it
 * would to a department whose CI publish failed.
 */
async function publishDepartments(departments: RegisteredSubgraph[], registry: Service, options: SchemaRegistryOptions, signingSecret?: string): Promise<void> {
  const report = options.report ?? console.log;
  const origin = new URL(registry.url).origin;
  for (const entry of departments) {
    const token = () => mintToken(options.jwtSecret, { sub: 'zigong-dev', scope: `${entry.name}:publish`, expiresIn: '5m' });
    const client = new RegistryClient(origin, token);
    try {
      const sdl = await sdlFromSubgraph(entry.routingUrl, signingSecret);
      const result = await publishSubgraph(client, { variant: LOCAL_VARIANT, subgraph: entry.name, sdl, routingUrl: entry.routingUrl });
      report(
        result.outcome === 'UNCHANGED'
          ? `registry: ${entry.name} unchanged in ${LOCAL_VARIANT} (version ${result.version?.id ?? '?'})`
          : `registry: ${entry.name} published to ${LOCAL_VARIANT} as version ${result.version?.id ?? '?'}, composition ${result.composition.id}`,
      );
    } catch (error) {
      if (!(error instanceof RegistryError) || exitCodeFor(error) !== EXIT.REFUSED) throw error;
      report(`registry: ${entry.name} REFUSED in ${LOCAL_VARIANT}; the gateway is served the last accepted composition.\n${formatFailure(error).trimEnd()}`);
    }
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
