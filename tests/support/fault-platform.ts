import { startSubgraph, type RunningSubgraph } from '@zigong/kit';
import { testServerUrl, testSubgraphConfig } from '@zigong/kit/testing';
import { loadDepartment, prepareDatabase, readRegistry } from '@zigong/cli';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { type ChildSubgraph, spawnSubgraph } from './child-subgraph';
import { startExtraGateway, type ExtraGateway } from './extra-gateway';
import { SIGNING_SECRET } from './platform';

/**
 * The whole platform for fault tests: a fresh database (on the test run's Postgres, or on a server
 * the test controls), the named departments as child processes that can be killed, the others
 * in-process, and a gateway with the given environment (e.g. a short SUBGRAPH_TIMEOUT_MS).
 */
export interface FaultPlatform {
  gatewayUrl: string;
  databaseUrl: string;
  gateway: ExtraGateway;
  /** Departments running as child processes, by name. */
  children: Record<string, ChildSubgraph>;
  token(scope: string, options?: { sub?: string; expiresIn?: string | number }): Promise<string>;
  stop(): Promise<void>;
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function startFaultPlatform({
  serverUrl = testServerUrl(),
  childProcesses = [],
  gatewayEnv = {},
}: { serverUrl?: string; childProcesses?: string[]; gatewayEnv?: Record<string, string> } = {}): Promise<FaultPlatform> {
  const name = `fault_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const inProcess: RunningSubgraph[] = [];
  const children: Record<string, ChildSubgraph> = {};
  let gateway: ExtraGateway | undefined;

  const stop = async () => {
    await gateway?.stop();
    await Promise.all([...inProcess.map((s) => s.stop()), ...Object.values(children).map((c) => c.stop())]);
    await admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };

  try {
    const registry = readRegistry();
    await prepareDatabase(databaseUrl, registry);
    const subgraphUrls: Record<string, string> = {};
    for (const entry of registry) {
      if (childProcesses.includes(entry.name)) {
        children[entry.name] = await spawnSubgraph(entry.name, databaseUrl);
        subgraphUrls[entry.name] = children[entry.name].url;
      } else {
        const running = await startSubgraph(loadDepartment(entry.name), testSubgraphConfig(databaseUrl, { signingSecret: SIGNING_SECRET }));
        inProcess.push(running);
        subgraphUrls[entry.name] = running.url;
      }
    }
    gateway = await startExtraGateway(subgraphUrls, gatewayEnv);
    return { gatewayUrl: gateway.url, databaseUrl, gateway, children, token: gateway.token, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
