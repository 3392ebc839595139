import { EnvReader, LOG_LEVELS, type LogLevel } from '@zigong/kit';
import { resolve } from 'node:path';

export interface GatewayConfig {
  host: string;
  port: number;
  /** Path of the composed supergraph (schema/supergraph.graphql). */
  supergraphPath: string;
  /** Subgraph URLs that replace the supergraph's routing URLs, by subgraph name. */
  subgraphUrls: Record<string, string>;
  bodyLimitBytes: number;
  logLevel: LogLevel;
}

const SUBGRAPH_URL = /^SUBGRAPH_([A-Z0-9]+)_URL$/;

/** Reads the gateway's environment once; `SUBGRAPH_<NAME>_URL` overrides where a subgraph lives. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const read = new EnvReader(env);
  const subgraphUrls: Record<string, string> = {};
  for (const key of Object.keys(env)) {
    const match = SUBGRAPH_URL.exec(key);
    if (match) subgraphUrls[match[1].toLowerCase()] = read.url(key, ['http:', 'https:']);
  }
  const config: GatewayConfig = {
    host: read.string('HOST', '127.0.0.1'),
    port: read.port('GATEWAY_PORT', 4000),
    supergraphPath: resolve(read.string('SUPERGRAPH_PATH', resolve(__dirname, '../../schema/supergraph.graphql'))),
    subgraphUrls,
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 1_000_000, { min: 1_000 }),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  read.done();
  return config;
}
