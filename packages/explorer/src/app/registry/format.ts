import type { AppVersionStatus, CompositionSummary, CoordinateUsage, OperationUsage, SchemaChange, Severity, SubgraphVersion, UsageRules } from './api';

/** Where the pages are, in the URL's hash, so a link to a subgraph or a changelog can be shared. */
export type Route =
  | { page: 'overview' }
  | { page: 'subgraph'; variant: string; subgraph: string }
  | { page: 'changelog'; variant: string }
  | { page: 'composition'; id: string }
  | { page: 'usage'; variant: string; coordinate: string | null; since: string }
  | { page: 'deprecations'; variant: string; since: string }
  | { page: 'apps'; variant: string; status: AppVersionStatus | null }
  | { page: 'app-version'; variant: string; app: string; version: string }
  | { page: 'not-found'; hash: string };

/** An app version's statuses, in the order it moves through them: PENDING, then ACTIVE, then RETIRED. */
export const APP_STATUSES: readonly AppVersionStatus[] = ['PENDING', 'ACTIVE', 'RETIRED'];

/** The windows the usage views offer first; a link may carry any other duration the registry reads. */
export const USAGE_SINCE = ['1d', '7d', '30d', '90d', '400d'] as const;
/** The contract's defaults: fieldUsage looks back 30 days, deprecations 400. */
export const DEFAULT_USAGE_SINCE = '30d';
export const DEFAULT_DEPRECATIONS_SINCE = '400d';

const decode = (part: string): string | undefined => {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
};

export function parseRoute(hash: string): Route {
  const [rawPath, rawQuery = ''] = hash.replace(/^#/, '').split(/\?(.*)/s, 2);
  const path = rawPath.replace(/^\/+|\/+$/g, '');
  if (path === '') return { page: 'overview' };
  const parts = path.split('/').map(decode);
  if (parts.some((part) => part === undefined || part === '')) return { page: 'not-found', hash };
  const [first, second, third, fourth] = parts as string[];
  // Only the usage views take a query (what is asked): URLSearchParams decodes it, never throws.
  const query = new URLSearchParams(rawQuery);
  const since = (fallback: string) => query.get('since')?.trim() || fallback;
  if (first === 'variants' && parts.length === 3 && third === 'usage') {
    return { page: 'usage', variant: second, coordinate: query.get('coordinate')?.trim() || null, since: since(DEFAULT_USAGE_SINCE) };
  }
  if (first === 'variants' && parts.length === 3 && third === 'deprecations') return { page: 'deprecations', variant: second, since: since(DEFAULT_DEPRECATIONS_SINCE) };
  if (first === 'variants' && parts.length === 3 && third === 'apps') {
    const status = query.get('status')?.trim().toUpperCase() || null;
    if (status !== null && !APP_STATUSES.includes(status as AppVersionStatus)) return { page: 'not-found', hash };
    return { page: 'apps', variant: second, status: status as AppVersionStatus | null };
  }
  if (rawQuery) return { page: 'not-found', hash };
  if (first === 'variants' && parts.length === 4 && third === 'subgraphs') return { page: 'subgraph', variant: second, subgraph: fourth };
  if (first === 'variants' && parts.length === 3 && third === 'changelog') return { page: 'changelog', variant: second };
  if (first === 'variants' && parts.length === 5 && third === 'apps') return { page: 'app-version', variant: second, app: fourth, version: parts[4] as string };
  if (first === 'compositions' && parts.length === 2) return { page: 'composition', id: second };
  return { page: 'not-found', hash };
}

export function routeHref(route: Route): string {
  const e = encodeURIComponent;
  switch (route.page) {
    case 'overview':
    case 'not-found':
      return '#/';
    case 'subgraph':
      return `#/variants/${e(route.variant)}/subgraphs/${e(route.subgraph)}`;
    case 'changelog':
      return `#/variants/${e(route.variant)}/changelog`;
    case 'composition':
      return `#/compositions/${e(route.id)}`;
    case 'usage': {
      const query = new URLSearchParams();
      if (route.coordinate) query.set('coordinate', route.coordinate);
      query.set('since', route.since);
      return `#/variants/${e(route.variant)}/usage?${query.toString()}`;
    }
    case 'deprecations':
      return `#/variants/${e(route.variant)}/deprecations${route.since === DEFAULT_DEPRECATIONS_SINCE ? '' : `?since=${e(route.since)}`}`;
    case 'apps':
      return `#/variants/${e(route.variant)}/apps${route.status ? `?status=${route.status}` : ''}`;
    case 'app-version':
      return `#/variants/${e(route.variant)}/apps/${e(route.app)}/${e(route.version)}`;
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A DateTime as `2025-03-01 08:05:09 UTC`: the same text for every reader and every time zone, so
 * a publisher and a reviewer quoting a time to each other quote the same one.
 */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

/** A sha256 hex hash as its first 12 digits (what people compare at a glance); `—` when there is none. */
export function shortHash(hash: string | null | undefined): string {
  return hash ? hash.slice(0, 12) : '—';
}

/** A long id (a UUID) as its first 8 characters; a short one (a serial number) whole. */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

export const SEVERITIES: readonly Severity[] = ['BREAKING', 'DANGEROUS', 'SAFE'];

export function severityCounts(changes: readonly SchemaChange[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { BREAKING: 0, DANGEROUS: 0, SAFE: 0 };
  for (const change of changes) counts[change.severity]++;
  return counts;
}

/** `1 breaking, 2 safe`; `no change to the schema` for none. */
export function summarizeChanges(changes: readonly SchemaChange[]): string {
  const counts = severityCounts(changes);
  const parts = SEVERITIES.filter((severity) => counts[severity] > 0).map((severity) => `${counts[severity]} ${severity.toLowerCase()}`);
  return parts.length ? parts.join(', ') : 'no change to the schema';
}

/** Breaking first, then dangerous, then safe; the registry's order within each. */
export function bySeverity(changes: readonly SchemaChange[]): SchemaChange[] {
  return SEVERITIES.flatMap((severity) => changes.filter((change) => change.severity === severity));
}

/** Longer lists start folded, unless they hold something to read first: a breaking or dangerous change. */
export const FOLD_ABOVE = 8;

export function opensByDefault(changes: readonly SchemaChange[]): boolean {
  return changes.length <= FOLD_ABOVE || changes.some((change) => change.severity !== 'SAFE');
}

/**
 * For each version (newest first, as subgraphVersions answers), the version its schema diff is
 * read against: the nearest older accepted one. A refused version was proposed against what was
 * served then, and a version accepted after a refusal replaced the last accepted one, not the
 * refused attempt, so neither is diffed against a version that was never served. null for the
 * first accepted version: there is nothing before it.
 */
export function diffBases(versions: readonly SubgraphVersion[]): Map<string, string | null> {
  const bases = new Map<string, string | null>();
  for (let i = 0; i < versions.length; i++) {
    const base = versions.slice(i + 1).find((older) => older.accepted);
    bases.set(versions[i].id, base?.id ?? null);
  }
  return bases;
}

/** The publish that stored this version: the composition built from (or, refused, proposing) it. */
export function compositionOfVersion<C extends CompositionSummary & { subgraphs: Array<{ id: string }> }>(versionId: string, compositions: readonly C[]): C | undefined {
  return compositions.find((composition) => composition.kind === 'PUBLISH' && composition.subgraphs.some((version) => version.id === versionId));
}

/**
 * The newest refused attempt of a changelog (newest first), and whether an accepted change came
 * after it: an unresolved refusal is what a publisher needs to read first.
 */
export function lastRefusal<C extends CompositionSummary>(history: readonly C[]): { refusal: C; superseded: boolean } | undefined {
  const at = history.findIndex((composition) => composition.status === 'REFUSED');
  if (at < 0) return undefined;
  return { refusal: history[at], superseded: history.slice(0, at).some((composition) => composition.status === 'ACCEPTED') };
}

/** What a changelog entry did, in a few words: `publish of agriculture`, `rollback to 12`. */
export function describeChange(composition: Pick<CompositionSummary, 'kind' | 'subgraph' | 'restoredFrom'>): string {
  switch (composition.kind) {
    case 'PUBLISH':
      return `publish of ${composition.subgraph ?? 'a subgraph'}`;
    case 'DELETE':
      return `delete of ${composition.subgraph ?? 'a subgraph'}`;
    case 'ROLLBACK':
      return composition.restoredFrom ? `rollback to ${shortId(composition.restoredFrom)}` : 'rollback';
  }
}

/** Where a version came from: `commit 3f2a9c1d on main`, or `—` when the publisher did not say. */
export function provenance(version: Pick<SubgraphVersion, 'commit' | 'branch'>): string {
  const commit = version.commit ? `commit ${version.commit.slice(0, 12)}` : '';
  const branch = version.branch ? `${commit ? 'on' : 'branch'} ${version.branch}` : '';
  return [commit, branch].filter(Boolean).join(' ') || '—';
}

/** What the pages say when the registry refused or could not be asked; code and status as RegistryError has them. */
export function describeFailure(error: { message: string; code?: string; status?: number; requiredScope?: string }): string {
  if (error.code === 'UNAUTHENTICATED' || error.status === 401) {
    return `The registry needs a token with a registry scope (registry:read, registry:admin or <department>:publish): paste one in the token field and press Apply. (${error.message})`;
  }
  if (error.code === 'FORBIDDEN' || error.status === 403) {
    const scope = error.requiredScope ? ` It needs ${error.requiredScope}.` : '';
    return `This token may not read the registry.${scope} (${error.message})`;
  }
  if (error.code === 'UNREACHABLE') return `${error.message} Is the registry running? The pages show what they loaded last.`;
  return `The registry refused the request${error.code ? ` (${error.code})` : ''}: ${error.message}`;
}

// ---- usage ----

const COORDINATE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$/;

/**
 * What a breaking change breaks the users of, as the registry judges it: the coordinate it names,
 * but for a required argument or input field added, the field or input type it was added to (the
 * new one was never used; every use of its parent now fails). null when it names no coordinate.
 */
export function usageTarget(change: Pick<SchemaChange, 'type' | 'coordinate'>): string | null {
  const coordinate = change.coordinate;
  if (!coordinate || !COORDINATE.test(coordinate)) return null;
  if (change.type === 'REQUIRED_ARG_ADDED' || change.type === 'REQUIRED_INPUT_FIELD_ADDED') return coordinate.slice(0, coordinate.lastIndexOf('.'));
  return coordinate;
}

export interface UsageBreakView {
  change: SchemaChange;
  target: string;
  total: number;
  clients: string[];
  operations: OperationUsage[];
}

/** A stored usage break as people read it: its busiest operations first, the clients it names, the total. */
export function usageBreakView(usageBreak: { change: SchemaChange; operations: readonly OperationUsage[] }): UsageBreakView {
  const operations = [...usageBreak.operations].sort((a, b) => b.count - a.count || a.client.localeCompare(b.client));
  return {
    change: usageBreak.change,
    target: usageTarget(usageBreak.change) ?? usageBreak.change.coordinate ?? '',
    total: operations.reduce((sum, o) => sum + o.count, 0),
    clients: [...new Set(operations.map((o) => o.client))],
    operations,
  };
}

/** `1,234` for a count (the registry's counts are Floats): people read a thousands separator faster. */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1);
}
