import { EnvReader, LOG_LEVELS, type LogLevel, passwordIn, POSTGRES_PROTOCOLS, productionSecretProblems, readTokenConfig, type TokenConfig } from '@zigong/platform';
import { resolve } from 'node:path';
import { VARIANT_NAME } from './validation';

export type RegistryMode = 'local' | 'production';

/** What one registry process needs; read once in main and passed down. */
export interface RegistryConfig {
  mode: RegistryMode;
  host: string;
  port: number;
  /** In production, the registry's own login role (a member of `registry_rw`). */
  databaseUrl: string;
  poolSize: number;
  /** How bearer tokens are verified: the gateway's settings, so one token works for both. */
  tokens: TokenConfig;
  /** The variants that exist, each composed on its own; ensured at start. */
  variants: string[];
  /** Those of them whose publishes must keep the contract. */
  contractVariants: string[];
  contractPath: string;
  /** The registered operations (schema/operations) a change must not break. */
  operationsDir: string;
  /** Access keys a gateway presents as X-Supergraph-Key; none in local mode leaves /supergraph open. */
  supergraphKeys: string[];
  /** ALLOW_ANONYMOUS_READS: queries without a token (local mode's default, as the gateway's); changes always need one. */
  allowAnonymousReads: boolean;
  maxSdlBytes: number;
  /** REGISTRY_MAX_USAGE_BYTES: the largest usage report, gunzipped (and sent); larger is refused with 413. */
  maxUsageBytes: number;
  /** REGISTRY_USAGE_RETENTION: how long hourly usage is kept, in seconds. */
  usageRetentionSeconds: number;
  /** The largest request body: an SDL at its limit, JSON-escaped, and the rest of the request. */
  bodyLimitBytes: number;
  metricsPort?: number;
  publicMetrics: boolean;
  logLevel: LogLevel;
}

const MB = 1024 * 1024;
const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

/** Reads the registry's environment once; every problem is reported together. */
export function loadRegistryConfig(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const read = new EnvReader(env);
  // Production unless told otherwise, as the gateway: a registry started bare must not accept the
  // development secret's tokens nor serve the supergraph to anyone. `npm start` and tests say local.
  const mode = read.oneOf<RegistryMode>('REGISTRY_MODE', ['local', 'production'], 'production');
  const production = mode === 'production';
  const { tokens, problems: tokenProblems } = readTokenConfig(read, production, 'REGISTRY_MODE');
  const maxSdlBytes = read.int('REGISTRY_MAX_SDL_BYTES', 2 * MB, { min: 1_024, max: 64 * MB });
  const variants = list(read.string('REGISTRY_VARIANTS', 'production,staging'));
  const contractVariants = list(read.optional('CONTRACT_VARIANTS') ?? 'production');
  for (const variant of variants) {
    if (!VARIANT_NAME.test(variant)) read.problem(`REGISTRY_VARIANTS: "${variant}" is not a variant name (lower-case letters, digits, - and _, a letter first, at most 31 characters).`);
  }
  if (new Set(variants).size !== variants.length) read.problem('REGISTRY_VARIANTS names a variant twice.');
  for (const variant of contractVariants) {
    if (!variants.includes(variant)) read.problem(`CONTRACT_VARIANTS names "${variant}", which is not in REGISTRY_VARIANTS (${variants.join(', ')}).`);
  }
  const config: RegistryConfig = {
    mode,
    host: read.string('HOST', production ? '0.0.0.0' : '127.0.0.1'),
    port: read.port('REGISTRY_PORT', 4010),
    databaseUrl: read.url('DATABASE_URL', POSTGRES_PROTOCOLS),
    poolSize: read.int('DB_POOL_SIZE', 10, { min: 2, max: 200 }),
    tokens,
    variants,
    contractVariants,
    contractPath: resolve(read.string('CONTRACT_PATH', resolve(__dirname, '../../schema/contract.graphql'))),
    operationsDir: resolve(read.string('OPERATIONS_DIR', resolve(__dirname, '../../schema/operations'))),
    supergraphKeys: list(read.optional('SUPERGRAPH_KEYS') ?? ''),
    allowAnonymousReads: read.bool('ALLOW_ANONYMOUS_READS', !production),
    maxSdlBytes,
    maxUsageBytes: read.int('REGISTRY_MAX_USAGE_BYTES', 4 * MB, { min: 1_024, max: 256 * MB }),
    // At least a day (usage is kept per hour, and a check's window is at least an hour), at most ten years.
    usageRetentionSeconds: read.durationSeconds('REGISTRY_USAGE_RETENTION', 400 * 86_400, { min: 86_400, max: 3_650 * 86_400 }),
    // JSON escapes an SDL's quotes and newlines (a few per cent); a quarter more leaves room for
    // that and the other fields, and a body past it is refused unread (413).
    bodyLimitBytes: maxSdlBytes + Math.max(Math.ceil(maxSdlBytes / 4), 64 * 1024),
    metricsPort: read.optional('METRICS_PORT') === undefined ? undefined : read.port('METRICS_PORT', 9464),
    publicMetrics: read.bool('METRICS_PUBLIC', !production) && read.optional('METRICS_PORT') === undefined,
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  if (read.bool('METRICS_PUBLIC', false) && config.metricsPort !== undefined) {
    read.problem('METRICS_PUBLIC=true and METRICS_PORT are both set: /metrics is served on one port; unset one of them.');
  }
  if (production) {
    // A gateway's access key that anyone can read lets anyone read the whole supergraph (every
    // subgraph's routing URL); a public JWT_SECRET lets anyone mint `registry:admin`.
    const problems = [...tokenProblems];
    if (config.supergraphKeys.length === 0) problems.push('REGISTRY_MODE=production needs SUPERGRAPH_KEYS: the access keys gateways present to read the supergraph.');
    problems.push(
      ...productionSecretProblems([
        { name: 'JWT_SECRET', value: tokens.jwtSecret },
        ...config.supergraphKeys.map((value, index) => ({ name: `SUPERGRAPH_KEYS (key ${index + 1})`, value })),
        { name: 'the password in DATABASE_URL', value: passwordIn(config.databaseUrl) },
        { name: 'PGPASSWORD', value: read.optional('PGPASSWORD') },
      ]),
    );
    if (problems.length && read.optional('REGISTRY_MODE') === undefined) {
      problems.push('REGISTRY_MODE is not set, so the registry runs in production mode; on a laptop, set REGISTRY_MODE=local (npm start does).');
    }
    problems.forEach((problem) => read.problem(problem));
  }
  read.done();
  return config;
}
