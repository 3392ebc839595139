import { GATEWAY_NODE_OPTIONS, SUBGRAPH_NODE_OPTIONS } from '../processes';
import { connectionBudget, type Department, GATEWAY_PORT, IMAGE, METRICS_PORT, REGISTRY, REGISTRY_SUPERGRAPH_URL, SUPERGRAPH_CACHE_DIR, SUPERGRAPH_CACHE_PATH } from './model';
import { type Commented, commented } from './yaml-output';

/**
 * infra/docker-compose.yml as an object: the platform in containers, shaped as deployed. Secure as
 * shipped: the one published port listens on 127.0.0.1 unless GATEWAY_BIND_ADDRESS says otherwise,
 * every secret is `${VAR:?message}` (compose refuses to start without it; there is no default to
 * fall back to), the gateway and the subgraphs run in production mode unless GATEWAY_MODE /
 * SUBGRAPH_MODE say local, and each department connects as its own login role, made by the
 * db-bootstrap service before any migration. The gateway polls the registry, to which
 * registry-publish has published every department's committed SDL.
 */

/** The subset of the Compose specification this file uses. */
interface ComposeService {
  image: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: 'service_healthy' | 'service_completed_successfully' | 'service_started' }>;
  healthcheck?: { test?: string[]; interval?: string; timeout?: string; start_period?: string; retries?: number; disable?: boolean };
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  restart?: 'no' | 'unless-stopped';
}

interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, Record<string, never> | null>;
}

/** `${NAME:?message}`: compose stops with the message when NAME is unset or empty. */
export const required = (name: string, what: string) =>
  `\${${name}:?${what}; run sh infra/docker/compose-env.sh to write infra/.env with fresh secrets}`;
const optional = (name: string, fallback: string) => `\${${name}:-${fallback}}`;

const POSTGRES_DB = optional('POSTGRES_DB', 'zigong');
const ADMIN_URL = `postgres://${optional('POSTGRES_USER', 'zigong')}:${required('POSTGRES_PASSWORD', 'set POSTGRES_PASSWORD')}@postgres:5432/${POSTGRES_DB}`;
const departmentUrl = (d: Department) =>
  `postgres://${d.login}:${required(d.passwordVariable, `set ${d.passwordVariable}, the ${d.name} login role's password`)}@postgres:5432/${POSTGRES_DB}`;
const REGISTRY_DATABASE_URL = `postgres://${REGISTRY.login}:${required(REGISTRY.passwordVariable, `set ${REGISTRY.passwordVariable}, the registry login role's password`)}@postgres:5432/${POSTGRES_DB}`;
const SIGNING_SECRET = required('GATEWAY_SIGNING_SECRET', 'set GATEWAY_SIGNING_SECRET (at least 32 bytes)');
const JWT_SECRET = required('JWT_SECRET', 'set JWT_SECRET (at least 32 bytes; unused when JWKS_URL is set)');
/** The one key the gateway presents and the registry accepts (X-Supergraph-Key). */
const SUPERGRAPH_KEY = required('SUPERGRAPH_KEY', 'set SUPERGRAPH_KEY, the key the gateway presents to the registry (at least 32 bytes)');
/**
 * Never empty: a production gateway (and registry) refuses to start without them. With JWKS_URL, set
 * them to what the identity provider writes in "iss" and "aud" for this application.
 */
const TOKEN_CLAIMS = { JWT_ISSUER: optional('JWT_ISSUER', 'zigong'), JWT_AUDIENCE: optional('JWT_AUDIENCE', 'zigong-graph') };
/** Hex from compose-env.sh: nothing to escape inside REDIS_URL. */
const REDIS_PASSWORD = required('REDIS_PASSWORD', "set REDIS_PASSWORD, the password of the platform's Redis");
const REDIS_URL = `redis://:${REDIS_PASSWORD}@redis:6379`;

/** Compose's Postgres: what the budget below assumes. */
const POSTGRES_LIMITS = { maxConnections: 100, reserved: 3, headroom: 10 };

function app(command: string[]): Pick<ComposeService, 'image' | 'build' | 'command' | 'read_only' | 'tmpfs' | 'cap_drop' | 'security_opt'> {
  return {
    image: `\${ZIGONG_IMAGE:-${IMAGE}:dev}`,
    build: { context: '..', dockerfile: 'infra/docker/Dockerfile' },
    command,
    read_only: true,
    tmpfs: ['/tmp'],
    cap_drop: ['ALL'],
    security_opt: ['no-new-privileges:true'],
  };
}

/**
 * Traces from every process to the Jaeger service (its UI on http://127.0.0.1:16686), every
 * request sampled unless OTEL_TRACES_SAMPLER says otherwise; OTEL_SDK_DISABLED=true turns it off.
 */
const TRACING = {
  OTEL_EXPORTER_OTLP_ENDPOINT: optional('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://jaeger:4318'),
  OTEL_TRACES_SAMPLER: optional('OTEL_TRACES_SAMPLER', 'parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: optional('OTEL_TRACES_SAMPLER_ARG', ''),
  OTEL_SDK_DISABLED: optional('OTEL_SDK_DISABLED', 'false'),
};
const JAEGER_IMAGE = 'jaegertracing/jaeger:2.21.0';

const HEALTHCHECK = { test: ['CMD', 'node', 'infra/docker/healthcheck.js'], interval: '10s', timeout: '5s', start_period: '30s', retries: 3 };

/** Gateway settings passed through when set; empty means the gateway's own default. */
const GATEWAY_PASS_THROUGH = [
  'JWKS_URL', 'JWT_MAX_TOKEN_AGE', 'ALLOW_ANONYMOUS_READS', 'CORS_ORIGINS', 'INTROSPECTION',
  'MAX_DEPTH', 'MAX_ALIASES', 'MAX_ROOT_FIELDS', 'MAX_TOKENS', 'MAX_COST', 'MAX_PAGE_SIZE', 'SUBGRAPH_TIMEOUT_MS',
  'RATE_LIMITS', 'RATE_LIMIT_STORE', 'RATE_LIMIT_TRUSTED_PROXIES',
];

/**
 * registry-publish's script: every department's committed SDL, as each department's CI would
 * publish it, with ZIGONG_REGISTRY_TOKEN when given, else a token with each department's publish
 * scope signed here with JWT_SECRET. With JWKS_URL the registry refuses a token signed here, so the
 * step then stops at once, naming the setting, instead of failing every publish with 401.
 * `$$` is compose's `$`.
 */
function publishScript(departments: Department[]): string {
  const scopes = departments.map((d) => `${d.name}:publish`).join(' ');
  return [
    'set -e',
    'if [ -z "$${ZIGONG_REGISTRY_TOKEN:-}" ]; then',
    '  if [ -n "$${JWKS_URL:-}" ]; then',
    `    echo "registry-publish: JWKS_URL is set, so the registry accepts only your identity provider's tokens, not one signed here with JWT_SECRET: set ZIGONG_REGISTRY_TOKEN to one of its tokens with the scopes ${scopes}" >&2`,
    '    exit 1',
    '  fi',
    `  export ZIGONG_REGISTRY_TOKEN="$$(node gateway/dist/token.js --sub compose-publish --scope '${scopes}' --expires 10m)"`,
    'fi',
    ...departments.map((d) => `node packages/cli/dist/zigong.js subgraph publish ${d.name} --schema schema/${d.name}.graphql --routing-url ${d.serviceUrl}`),
  ].join('\n');
}

export function composeFile(departments: Department[]): Commented {
  // One replica each: the pool may be larger than in Kubernetes, within the same budget.
  const budget = connectionBudget(departments.length, {
    name: 'compose',
    subgraphReplicas: { min: 1, max: 1 },
    registryReplicas: 1,
    postgres: POSTGRES_LIMITS,
    poolCap: 5,
  });
  const subgraph = (d: Department): ComposeService => ({
    ...app(['node', `subgraphs/${d.name}/dist/main.js`]),
    environment: {
      PORT: String(d.port),
      HOST: '0.0.0.0',
      DATABASE_URL: departmentUrl(d),
      DB_POOL_SIZE: optional('DB_POOL_SIZE', String(budget.poolSize)),
      SUBGRAPH_MODE: optional('SUBGRAPH_MODE', 'production'),
      GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
      // The replay cache of signed requests, shared should a department be scaled to several replicas.
      REDIS_URL,
      LOG_LEVEL: optional('LOG_LEVEL', 'info'),
      NODE_OPTIONS: SUBGRAPH_NODE_OPTIONS,
      ...TRACING,
    },
    depends_on: { migrate: { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' } },
    healthcheck: HEALTHCHECK,
    restart: 'unless-stopped',
  });
  const file: ComposeFile = {
    name: 'zigong',
    services: {
      postgres: {
        image: 'postgres:16-bookworm',
        command: ['postgres', '-c', `max_connections=${POSTGRES_LIMITS.maxConnections}`],
        environment: {
          POSTGRES_USER: optional('POSTGRES_USER', 'zigong'),
          POSTGRES_PASSWORD: required('POSTGRES_PASSWORD', 'set POSTGRES_PASSWORD'),
          POSTGRES_DB,
        },
        volumes: ['postgres-data:/var/lib/postgresql/data'],
        healthcheck: { test: ['CMD-SHELL', 'pg_isready -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"'], interval: '5s', timeout: '3s', retries: 20 },
        restart: 'unless-stopped',
      },
      redis: {
        image: 'redis:7-bookworm',
        // Any container on the network could otherwise read and rewrite the rate-limit buckets and the
        // persisted queries. The command starts with redis-server, so the image still drops root.
        command: ['redis-server', '--requirepass', REDIS_PASSWORD],
        // redis-cli (the healthcheck) authenticates with it.
        environment: { REDISCLI_AUTH: REDIS_PASSWORD },
        healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '5s', timeout: '3s', retries: 20 },
        restart: 'unless-stopped',
      },
      jaeger: {
        image: JAEGER_IMAGE,
        // Jaeger's all-in-one: OTLP over HTTP from the other services, spans kept in memory, the UI on 127.0.0.1 only.
        command: ['--set', 'receivers.otlp.protocols.http.endpoint=0.0.0.0:4318'],
        ports: [`127.0.0.1:${optional('JAEGER_UI_PORT', '16686')}:16686`],
        // The image's busybox asks the health extension of the all-in-one configuration.
        healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:13133/status'], interval: '10s', timeout: '3s', retries: 5 },
        restart: 'unless-stopped',
      },
      'db-bootstrap': {
        ...app(['node', 'packages/cli/dist/bootstrap.js']),
        environment: {
          DATABASE_URL: ADMIN_URL,
          ...Object.fromEntries(departments.map((d) => [d.databaseUrlVariable, departmentUrl(d)])),
          [REGISTRY.databaseUrlVariable]: REGISTRY_DATABASE_URL,
          // The subgraphs' mode: production refuses example and guessable passwords.
          SUBGRAPH_MODE: optional('SUBGRAPH_MODE', 'production'),
        },
        depends_on: { postgres: { condition: 'service_healthy' } },
        healthcheck: { disable: true },
        restart: 'no',
      },
      migrate: {
        ...app(['node', 'packages/cli/dist/seed.js']),
        environment: { DATABASE_URL: ADMIN_URL },
        depends_on: { 'db-bootstrap': { condition: 'service_completed_successfully' } },
        healthcheck: { disable: true },
        restart: 'no',
      },
      'registry-migrate': {
        ...app(['node', 'registry/dist/migrate.js']),
        environment: { DATABASE_URL: ADMIN_URL },
        depends_on: { 'db-bootstrap': { condition: 'service_completed_successfully' } },
        healthcheck: { disable: true },
        restart: 'no',
      },
      ...Object.fromEntries(departments.map((d) => [d.name, subgraph(d)])),
      [REGISTRY.name]: {
        ...app(['node', 'registry/dist/main.js']),
        environment: {
          REGISTRY_MODE: optional('REGISTRY_MODE', 'production'),
          HOST: '0.0.0.0',
          REGISTRY_PORT: String(REGISTRY.port),
          METRICS_PORT: String(METRICS_PORT),
          DATABASE_URL: REGISTRY_DATABASE_URL,
          DB_POOL_SIZE: String(REGISTRY.poolSize),
          SUPERGRAPH_KEYS: SUPERGRAPH_KEY,
          JWT_SECRET,
          ...TOKEN_CLAIMS,
          JWKS_URL: '${JWKS_URL:-}',
          JWT_MAX_TOKEN_AGE: '${JWT_MAX_TOKEN_AGE:-}',
          LOG_LEVEL: optional('LOG_LEVEL', 'info'),
          NODE_OPTIONS: GATEWAY_NODE_OPTIONS,
          ...TRACING,
        },
        depends_on: { postgres: { condition: 'service_healthy' }, 'registry-migrate': { condition: 'service_completed_successfully' } },
        healthcheck: HEALTHCHECK,
        restart: 'unless-stopped',
      },
      'registry-publish': {
        ...app(['sh', '-c', publishScript(departments)]),
        environment: {
          ZIGONG_REGISTRY_URL: `http://${REGISTRY.name}:${REGISTRY.port}`,
          // Optional, with nothing to fall back to: unset, a token is signed here with JWT_SECRET.
          ZIGONG_REGISTRY_TOKEN: optional('ZIGONG_REGISTRY_TOKEN', ''),
          JWKS_URL: optional('JWKS_URL', ''),
          JWT_SECRET,
          ...TOKEN_CLAIMS,
        },
        depends_on: { [REGISTRY.name]: { condition: 'service_healthy' } },
        healthcheck: { disable: true },
        restart: 'no',
      },
      gateway: {
        ...app(['node', 'gateway/dist/main.js']),
        environment: {
          NODE_OPTIONS: GATEWAY_NODE_OPTIONS,
          GATEWAY_MODE: optional('GATEWAY_MODE', 'production'),
          HOST: '0.0.0.0',
          GATEWAY_PORT: String(GATEWAY_PORT),
          METRICS_PORT: String(METRICS_PORT),
          ...Object.fromEntries(departments.map((d) => [d.urlVariable, d.serviceUrl])),
          GATEWAY_SIGNING_SECRET: SIGNING_SECRET,
          // Required even with JWKS_URL (which turns HS256 off): no public development secret can stand in.
          JWT_SECRET,
          ...TOKEN_CLAIMS,
          REDIS_URL,
          SUPERGRAPH_URL: REGISTRY_SUPERGRAPH_URL,
          SUPERGRAPH_KEY,
          SUPERGRAPH_CACHE_PATH,
          ...Object.fromEntries(GATEWAY_PASS_THROUGH.map((v) => [v, `\${${v}:-}`])),
          LOG_LEVEL: optional('LOG_LEVEL', 'info'),
          ...TRACING,
        },
        ports: [`${optional('GATEWAY_BIND_ADDRESS', '127.0.0.1')}:${optional('GATEWAY_PUBLISHED_PORT', String(GATEWAY_PORT))}:${GATEWAY_PORT}`],
        volumes: [`supergraph-cache:${SUPERGRAPH_CACHE_DIR}`],
        depends_on: {
          migrate: { condition: 'service_completed_successfully' },
          'registry-publish': { condition: 'service_completed_successfully' },
          redis: { condition: 'service_healthy' },
          ...Object.fromEntries(departments.map((d) => [d.name, { condition: 'service_healthy' as const }])),
        },
        healthcheck: HEALTHCHECK,
        restart: 'unless-stopped',
      },
    },
    volumes: { 'postgres-data': null, 'supergraph-cache': null },
  };
  return commented(file, [
    [
      [],
      [
        'The platform in containers, shaped as deployed: Postgres 16, Redis 7, Jaeger, the database roles,',
        'migrations and reference data, each department\'s subgraph, the schema registry with every',
        'department published to it, and the gateway, polling the registry, on http://127.0.0.1:4000/graphql.',
        '  sh infra/docker/compose-env.sh            # once: infra/.env with a fresh secret for every ${VAR:?}',
        '  docker compose -f infra/docker-compose.yml up --build',
        'Traces: the Jaeger UI on http://127.0.0.1:16686 (README, *Observability*).',
        'Production mode unless GATEWAY_MODE=local / SUBGRAPH_MODE=local; the gateway listens on 127.0.0.1',
        'only, unless GATEWAY_BIND_ADDRESS says otherwise (put TLS in front before you open it).',
      ].join('\n'),
    ],
    [['services', 'postgres', 'command'], `The budget: ${budget.explanation}.`],
    [
      ['services', 'db-bootstrap'],
      'Each department\'s login role and group, from its own URL, before any migration (idempotent).',
    ],
    [['services', 'migrate'], 'Migrations and reference data of every department, as the database owner (idempotent), then it exits.'],
    [['services', 'registry-migrate'], 'The registry\'s migrations, as the database owner (idempotent), then it exits.'],
    [
      ['services', REGISTRY.name],
      'The schema registry, reached by the gateway and registry-publish only (no published port; CI in\nthe compose network: docker compose run --rm registry-publish, or the zigong CLI with ZIGONG_REGISTRY_URL).',
    ],
    [
      ['services', 'registry-publish'],
      'Every department\'s committed SDL published to the production variant, as its CI would (an unchanged\nSDL is a no-op), so that the gateway finds a composition on its first start; then it exits.',
    ],
    [
      ['services', 'gateway', 'volumes'],
      'The last supergraph loaded (SUPERGRAPH_CACHE_PATH), kept across restarts: the gateway starts while the registry is down.',
    ],
    [['services', 'gateway', 'environment', 'METRICS_PORT'], '/metrics apart from the public port; not published (README, *Deploying*).'],
  ]);
}
