/**
 * The registry pages' questions to the registry: same-origin POSTs to its /graphql, using only
 * the fields of its contract (registry/src/registry.graphql; the unit test validates every query
 * against it).
 */
export const ENDPOINT = '/graphql';

export type Severity = 'BREAKING' | 'DANGEROUS' | 'SAFE';

export interface SchemaChange {
  severity: Severity;
  type: string;
  coordinate: string | null;
  message: string;
}

export interface SubgraphVersion {
  id: string;
  variant: string;
  subgraph: string;
  routingUrl: string;
  publisher: string;
  commit: string | null;
  branch: string | null;
  createdAt: string;
  accepted: boolean;
}

export interface CompositionSummary {
  id: string;
  variant: string;
  status: 'ACCEPTED' | 'REFUSED';
  kind: 'PUBLISH' | 'DELETE' | 'ROLLBACK';
  subgraph: string | null;
  restoredFrom: string | null;
  hash: string | null;
  errors: string[];
  changes: SchemaChange[];
  /** Why it was refused, as judged then; null when accepted or recorded before the registry kept it. */
  refusal: Refusal | null;
  publisher: string;
  createdAt: string;
  current: boolean;
}

export interface Refusal {
  code: string;
  usageRules: UsageRules | null;
  usageBreaks: Array<{ change: SchemaChange; operations: OperationUsage[] }>;
  appBreaks: Array<{ app: string; version: string; operationId: string; operationName: string | null; message: string }>;
}

export interface Composition extends CompositionSummary {
  subgraphs: SubgraphVersion[];
}

export interface Variant {
  name: string;
  contract: boolean;
  current: CompositionSummary | null;
  subgraphs: SubgraphVersion[];
}

/** A refused request or an unreachable registry, with the registry's code and HTTP status when known. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly status?: number,
    /** For FORBIDDEN: the scope the registry says is needed. */
    readonly requiredScope?: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export interface RegistryClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export type Fetch = typeof fetch;

interface GraphQLBody<T> {
  data?: T | null;
  errors?: Array<{ message?: string; extensions?: { code?: string; requiredScope?: string } }>;
}

/**
 * A client sending `Authorization: Bearer <token>` whenever `token()` gives one, and none
 * otherwise (a registry in local mode answers reads without a token).
 */
export function registryClient(token: () => string, endpoint = ENDPOINT, fetchImpl: Fetch = (...args) => fetch(...args)): RegistryClient {
  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const bearer = token().trim().replace(/^Bearer\s+/i, '');
      let response: Response;
      try {
        response = await fetchImpl(endpoint, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            accept: 'application/json',
            'content-type': 'application/json',
            ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        });
      } catch (error) {
        throw new RegistryError(`The registry cannot be reached (${(error as Error).message}).`, 'UNREACHABLE');
      }
      const text = await response.text();
      let body: GraphQLBody<T>;
      try {
        body = JSON.parse(text) as GraphQLBody<T>;
      } catch {
        // A proxy's error page, or a registry that is restarting behind one.
        throw new RegistryError(`The registry answered HTTP ${response.status} with something other than JSON.`, 'UNREACHABLE', response.status);
      }
      const [first] = body.errors ?? [];
      if (first) throw new RegistryError(first.message ?? 'Unknown error', first.extensions?.code, response.status, first.extensions?.requiredScope);
      if (!body.data) throw new RegistryError(`The registry answered HTTP ${response.status} without data.`, undefined, response.status);
      return body.data;
    },
  };
}

const CHANGE = 'severity type coordinate message';
const VERSION = 'id variant subgraph routingUrl publisher commit branch createdAt accepted';
const OPERATION_USAGE = 'client clientVersion operationHash operationName signature count errors firstSeen lastSeen';
const RULES = 'variant window clientWindows { client window } excludedClients minCount';
const REFUSAL = `code usageRules { ${RULES} } usageBreaks { change { ${CHANGE} } operations { ${OPERATION_USAGE} } } appBreaks { app version operationId operationName message }`;
const COMPOSITION = `id variant status kind subgraph restoredFrom hash errors changes { ${CHANGE} } refusal { ${REFUSAL} } publisher createdAt current`;

export const VARIANTS_QUERY = `query RegistryVariants {
  variants {
    name
    contract
    current { ${COMPOSITION} }
    subgraphs { ${VERSION} }
  }
}`;

/** The variants' names alone, for the links to their changelogs. */
export const VARIANT_NAMES_QUERY = `query RegistryVariantNames { variants { name } }`;

export const SUBGRAPH_QUERY = `query RegistrySubgraph($variant: String!, $subgraph: String!, $first: Int!) {
  variant(name: $variant) { name subgraphs { id } }
  subgraphVersions(variant: $variant, subgraph: $subgraph, first: $first) { ${VERSION} }
  history(variant: $variant, subgraph: $subgraph, first: $first) { ${COMPOSITION} subgraphs { id } }
}`;

export const DIFF_QUERY = `query RegistryDiff($from: ID!, $to: ID!) {
  diff(from: $from, to: $to) { ${CHANGE} }
}`;

export const SDL_QUERY = `query RegistryVersionSdl($id: ID!) {
  subgraphVersion(id: $id) { id sdl }
}`;

export const HISTORY_QUERY = `query RegistryHistory($variant: String!, $first: Int!) {
  history(variant: $variant, first: $first) { ${COMPOSITION} }
}`;

export const COMPOSITION_QUERY = `query RegistryComposition($id: ID!) {
  composition(id: $id) { ${COMPOSITION} subgraphs { ${VERSION} } }
}`;

/** How many entries a list asks for: the changelog and a subgraph's versions. */
export const PAGE = 50;

export async function loadVariants(client: RegistryClient): Promise<Variant[]> {
  return (await client.request<{ variants: Variant[] }>(VARIANTS_QUERY)).variants;
}

export async function loadVariantNames(client: RegistryClient): Promise<string[]> {
  return (await client.request<{ variants: Array<{ name: string }> }>(VARIANT_NAMES_QUERY)).variants.map((variant) => variant.name);
}

export async function loadHistory(client: RegistryClient, variant: string, first = PAGE): Promise<CompositionSummary[]> {
  return (await client.request<{ history: CompositionSummary[] }>(HISTORY_QUERY, { variant, first })).history;
}

export interface SubgraphPage {
  /** The ids of the versions the variant's current composition is built from: what gateways are served. */
  served: Set<string>;
  versions: SubgraphVersion[];
  compositions: Array<CompositionSummary & { subgraphs: Array<{ id: string }> }>;
}

export async function loadSubgraph(client: RegistryClient, variant: string, subgraph: string, first = PAGE): Promise<SubgraphPage> {
  const data = await client.request<{ variant: { subgraphs: Array<{ id: string }> } | null; subgraphVersions: SubgraphVersion[]; history: SubgraphPage['compositions'] }>(SUBGRAPH_QUERY, {
    variant,
    subgraph,
    first,
  });
  if (!data.variant) throw new RegistryError(`The registry has no variant named ${variant}.`, 'UNKNOWN_VARIANT');
  return { served: new Set(data.variant.subgraphs.map((version) => version.id)), versions: data.subgraphVersions, compositions: data.history };
}

export async function loadDiff(client: RegistryClient, from: string, to: string): Promise<SchemaChange[]> {
  return (await client.request<{ diff: SchemaChange[] }>(DIFF_QUERY, { from, to })).diff;
}

export async function loadSdl(client: RegistryClient, id: string): Promise<string | null> {
  return (await client.request<{ subgraphVersion: { id: string; sdl: string } | null }>(SDL_QUERY, { id })).subgraphVersion?.sdl ?? null;
}

export async function loadComposition(client: RegistryClient, id: string): Promise<Composition | null> {
  return (await client.request<{ composition: Composition | null }>(COMPOSITION_QUERY, { id })).composition;
}

// ---- usage (registry.graphql's usage section) ----

export interface OperationUsage {
  client: string;
  clientVersion: string;
  operationHash: string;
  operationName: string | null;
  signature: string;
  count: number;
  errors: number;
  firstSeen: string;
  lastSeen: string;
}

export interface ClientUsage {
  client: string;
  clientVersion: string;
  count: number;
  lastSeen: string;
}

export interface CoordinateUsage {
  coordinate: string;
  since: string;
  total: number;
  lastSeen: string | null;
  clients: ClientUsage[];
  operations: OperationUsage[];
}

export interface Deprecation {
  coordinate: string;
  reason: string | null;
  usage: CoordinateUsage;
}

export interface UsageRules {
  variant: string;
  window: string;
  clientWindows: Array<{ client: string; window: string }>;
  excludedClients: string[];
  minCount: number;
}

const COORDINATE_USAGE = `coordinate since total lastSeen clients { client clientVersion count lastSeen } operations { ${OPERATION_USAGE} }`;

export const FIELD_USAGE_QUERY = `query RegistryFieldUsage($variant: String!, $coordinate: String!, $since: String!) {
  variant(name: $variant) { name }
  fieldUsage(variant: $variant, coordinate: $coordinate, since: $since) { ${COORDINATE_USAGE} }
}`;

export const DEPRECATIONS_QUERY = `query RegistryDeprecations($variant: String!, $since: String!) {
  variant(name: $variant) { name }
  deprecations(variant: $variant, since: $since) { coordinate reason usage { ${COORDINATE_USAGE} } }
}`;

/** The registry answers an unknown variant's usage with data, or not at all: say it as the other views do. */
function requireVariant(data: { variant: { name: string } | null }, variant: string): void {
  if (!data.variant) throw new RegistryError(`The registry has no variant named ${variant}.`, 'UNKNOWN_VARIANT');
}

export async function loadFieldUsage(client: RegistryClient, variant: string, coordinate: string, since: string): Promise<CoordinateUsage> {
  const data = await client.request<{ variant: { name: string } | null; fieldUsage: CoordinateUsage }>(FIELD_USAGE_QUERY, { variant, coordinate, since });
  requireVariant(data, variant);
  return data.fieldUsage;
}

export async function loadDeprecations(client: RegistryClient, variant: string, since: string): Promise<Deprecation[]> {
  const data = await client.request<{ variant: { name: string } | null; deprecations: Deprecation[] }>(DEPRECATIONS_QUERY, { variant, since });
  requireVariant(data, variant);
  return data.deprecations;
}

// ---- app manifests (registry.graphql's app manifests section) ----

export type AppVersionStatus = 'PENDING' | 'ACTIVE' | 'RETIRED';

export interface AppOperation {
  /** The sha256 hex of the body: what a client sends as its persisted-query hash. */
  id: string;
  name: string | null;
  body: string;
}

export interface AppVersion<O = AppOperation> {
  app: string;
  version: string;
  variant: string;
  status: AppVersionStatus;
  operations: O[];
  publisher: string;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
}

const APP_VERSION = 'app version variant status publisher createdAt activatedAt retiredAt';

/** The list counts operations only: their bodies are read when a version is opened. */
export const APPS_QUERY = `query RegistryApps($variant: String!, $status: AppVersionStatus) {
  variant(name: $variant) { name }
  apps(variant: $variant, status: $status) { ${APP_VERSION} operations { id } }
}`;

export const APP_VERSION_QUERY = `query RegistryAppVersion($variant: String!, $app: String!, $version: String!) {
  variant(name: $variant) { name }
  appVersion(variant: $variant, app: $app, version: $version) { ${APP_VERSION} operations { id name body } }
}`;

/** The variant's app versions, newest first (as the registry answers); with `status`, only those. */
export async function loadApps(client: RegistryClient, variant: string, status: AppVersionStatus | null = null): Promise<Array<AppVersion<{ id: string }>>> {
  const data = await client.request<{ variant: { name: string } | null; apps: Array<AppVersion<{ id: string }>> }>(APPS_QUERY, { variant, status });
  requireVariant(data, variant);
  return data.apps;
}

/** One app version with its operations' bodies; null when the variant has no such version. */
export async function loadAppVersion(client: RegistryClient, variant: string, app: string, version: string): Promise<AppVersion | null> {
  const data = await client.request<{ variant: { name: string } | null; appVersion: AppVersion | null }>(APP_VERSION_QUERY, { variant, app, version });
  requireVariant(data, variant);
  return data.appVersion;
}
