import { displayWidth } from './query.format';
import { type RegistryClient, RegistryError } from './registry-client';
import type { SchemaChange } from './registry-verbs';

/**
 * What the usage verbs do, apart from their command line (usage.cli.ts): `zigong usage field`,
 * `zigong usage rules` and `zigong deprecations` ask the registry (registry/src/registry.graphql,
 * its usage section) and say its answer as people read it. The usage breaks and app breaks of a
 * check or a refused publish are said here too, so `subgraph check`, `subgraph publish` and
 * `usage field` print an operation's use the same way.
 */

// ---- The registry's answers, as far as the verbs read them ----

/** How one client version used one operation over the window asked (the contract's OperationUsage). */
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

/** What `zigong usage rules` changes; an omitted field keeps the registry's value. */
export interface UsageRulesChange {
  window?: string;
  clientWindows?: Array<{ client: string; window: string }>;
  excludedClients?: string[];
  minCount?: number;
}

/** A breaking change and the client operations of the window it would break: publish refuses it (USAGE_BROKEN). */
export interface UsageBreak {
  change: SchemaChange;
  operations: OperationUsage[];
}

/** An operation of an active app version that would stop validating: publish refuses it (APP_BROKEN). */
export interface AppBreak {
  app: string;
  version: string;
  operationId: string;
  operationName: string | null;
  message: string;
}

/** The OperationUsage fields every document asks for (registry-verbs' CheckFields spreads them too). */
export const OPERATION_USAGE_FIELDS = 'client clientVersion operationHash operationName signature count errors firstSeen lastSeen';
const COORDINATE_USAGE_FIELDS = `coordinate since total lastSeen clients { client clientVersion count lastSeen } operations { ${OPERATION_USAGE_FIELDS} }`;
const RULES_FIELDS = 'variant window clientWindows { client window } excludedClients minCount';

export const FIELD_USAGE_QUERY = `query FieldUsage($variant: String!, $coordinate: String!, $since: String) {
  variant(name: $variant) { name }
  fieldUsage(variant: $variant, coordinate: $coordinate, since: $since) { ${COORDINATE_USAGE_FIELDS} }
}`;

export const DEPRECATIONS_QUERY = `query Deprecations($variant: String!, $since: String) {
  variant(name: $variant) { name }
  deprecations(variant: $variant, since: $since) { coordinate reason usage { ${COORDINATE_USAGE_FIELDS} } }
}`;

export const USAGE_RULES_QUERY = `query UsageRules($variant: String!) {
  variant(name: $variant) { name }
  usageRules(variant: $variant) { ${RULES_FIELDS} }
}`;

export const SET_USAGE_RULES_MUTATION = `mutation SetUsageRules($variant: String!, $rules: UsageRulesInput!) {
  setUsageRules(variant: $variant, rules: $rules) { ${RULES_FIELDS} }
}`;

// ---- What the verbs take ----

/** A duration as the registry reads one: `30d`, `12h`, `90m`. */
export const DURATION = /^[1-9][0-9]{0,5}[mhd]$/;

/** A schema coordinate: `Type`, `Type.field`, `Type.field.arg`, `Input.field`, `Enum.VALUE`. */
export const COORDINATE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$/;

/** A client name as gateways report one (apollographql-client-name, a token's azp): no spaces, no `=`. */
export const CLIENT_NAME = /^[^\s=]{1,128}$/;

/** `annual-report=400d` as `{ client: 'annual-report', window: '400d' }`; null when it is not one. */
export function parseClientWindow(text: string): { client: string; window: string } | null {
  const at = text.lastIndexOf('=');
  if (at < 1) return null;
  const client = text.slice(0, at);
  const window = text.slice(at + 1);
  return CLIENT_NAME.test(client) && DURATION.test(window) ? { client, window } : null;
}

// ---- The verbs ----

/** The registry answers an unknown variant with data (null), not an error: say it as the other verbs do. */
function knownVariant(data: { variant: { name: string } | null }, variant: string): void {
  if (!data.variant) throw new RegistryError('UNKNOWN_VARIANT', `the registry has no variant "${variant}".`);
}

export async function fieldUsage(client: RegistryClient, variant: string, coordinate: string, since: string): Promise<CoordinateUsage> {
  const data = await client.request<{ variant: { name: string } | null; fieldUsage: CoordinateUsage }>(FIELD_USAGE_QUERY, { variant, coordinate, since });
  knownVariant(data, variant);
  return data.fieldUsage;
}

export async function deprecations(client: RegistryClient, variant: string, since: string): Promise<Deprecation[]> {
  const data = await client.request<{ variant: { name: string } | null; deprecations: Deprecation[] }>(DEPRECATIONS_QUERY, { variant, since });
  knownVariant(data, variant);
  return data.deprecations;
}

export async function usageRules(client: RegistryClient, variant: string): Promise<UsageRules> {
  const data = await client.request<{ variant: { name: string } | null; usageRules: UsageRules }>(USAGE_RULES_QUERY, { variant });
  knownVariant(data, variant);
  return data.usageRules;
}

export async function setUsageRules(client: RegistryClient, variant: string, rules: UsageRulesChange): Promise<UsageRules> {
  return (await client.request<{ setUsageRules: UsageRules }>(SET_USAGE_RULES_MUTATION, { variant, rules })).setUsageRules;
}

// ---- As people read them ----

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A DateTime as `2026-12-07 04:31 UTC`: usage is counted per minute, so seconds would only look
 * precise; the same text in every time zone, so two people quoting a time quote the same one.
 */
export function usageTime(iso: string | null): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** A count as a whole number (the registry's counts are Floats, sums beyond 2^31 included). */
const count = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;
const version = (text: string) => text || '-';
const operationName = (name: string | null) => name ?? '(anonymous)';

interface Column {
  name: string;
  /** Counts are right-aligned; a version such as 2026.1 is not a count, so alignment is the column's, not guessed from its values. */
  right?: boolean;
}

/** An aligned table, each line indented (a table inside a list); wide characters (汉字) count as two columns. */
function table(columns: readonly Column[], rows: string[][], indent = ''): string[] {
  const widths = columns.map((column, i) => Math.max(displayWidth(column.name), ...rows.map((row) => displayWidth(row[i]))));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => {
        const fill = ' '.repeat(widths[i] - displayWidth(cell));
        return columns[i].right ? fill + cell : cell + fill;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.name)), indent + widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
}

/** An operation's use, one row each: what a person needs to find the client and the query. */
function operationRows(operations: readonly OperationUsage[]): string[][] {
  return operations.map((o) => [operationName(o.operationName), o.operationHash.slice(0, 12), o.client, version(o.clientVersion), count(o.count), count(o.errors), usageTime(o.lastSeen)]);
}
const OPERATION_COLUMNS: Column[] = [{ name: 'operation' }, { name: 'hash' }, { name: 'client' }, { name: 'version' }, { name: 'requests', right: true }, { name: 'errors', right: true }, { name: 'last seen' }];

function clientRows(clients: readonly ClientUsage[]): string[][] {
  return clients.map((c) => [c.client, version(c.clientVersion), count(c.count), usageTime(c.lastSeen)]);
}
const CLIENT_COLUMNS: Column[] = [{ name: 'client' }, { name: 'version' }, { name: 'requests', right: true }, { name: 'last seen' }];

export function formatFieldUsage(variant: string, sinceAsked: string, usage: CoordinateUsage): string {
  const window = `since ${usageTime(usage.since)} (${sinceAsked})`;
  if (!usage.total) return `${usage.coordinate} in ${variant}: unused ${window}: no client request touched it.\n`;
  return `${[
    `${usage.coordinate} in ${variant}, ${window}: ${plural(usage.total, 'request')}, last seen ${usageTime(usage.lastSeen)}.`,
    '',
    `Client versions (${usage.clients.length}):`,
    ...table(CLIENT_COLUMNS, clientRows(usage.clients)),
    '',
    `Operations (${usage.operations.length}):`,
    ...table(OPERATION_COLUMNS, operationRows(usage.operations)),
  ].join('\n')}\n`;
}

export function formatDeprecations(variant: string, sinceAsked: string, list: readonly Deprecation[]): string {
  if (!list.length) return `${variant}'s API schema has nothing deprecated.\n`;
  const used = list.filter((d) => d.usage.total > 0).length;
  const since = usageTime(list[0].usage.since);
  const lines = [`Deprecated in ${variant}'s API schema: ${plural(list.length, 'coordinate')}, ${count(used)} still used (since ${since}, ${sinceAsked}).`];
  for (const deprecation of list) {
    const reason = deprecation.reason ? `"${deprecation.reason}"` : '(no reason given)';
    const { usage } = deprecation;
    lines.push('');
    if (!usage.total) {
      lines.push(`${deprecation.coordinate}: ${reason}: unused.`);
      continue;
    }
    lines.push(`${deprecation.coordinate}: ${reason}: ${plural(usage.total, 'request')}, last seen ${usageTime(usage.lastSeen)}, by:`);
    lines.push(...table(CLIENT_COLUMNS, clientRows(usage.clients), '  '));
  }
  return `${lines.join('\n')}\n`;
}

export function formatUsageRules(rules: UsageRules, changed: boolean): string {
  const windows = rules.clientWindows.map((w) => `${w.client}=${w.window}`).join(', ') || 'none';
  return [
    changed ? `Usage rules of ${rules.variant} set:` : `Usage rules of ${rules.variant}:`,
    `  window:            ${rules.window} (a breaking change to a coordinate used within it refuses a publish)`,
    `  client windows:    ${windows}`,
    `  excluded clients:  ${rules.excludedClients.join(', ') || 'none'}`,
    `  minimum count:     ${rules.minCount} (fewer requests in the window count as unused)`,
    '',
  ].join('\n');
}

const changeHead = (change: SchemaChange) => `${change.type}${change.coordinate ? ` ${change.coordinate}` : ''}: ${change.message}`;

/** Each usage break: its change, then the operations it would break (client, version, counts, last seen). */
export function usageBreakLines(breaks: readonly UsageBreak[]): string[] {
  return breaks.flatMap((b) => {
    const total = b.operations.reduce((sum, o) => sum + o.count, 0);
    const clients = [...new Set(b.operations.map((o) => o.client))];
    return [
      `  - ${changeHead(b.change)}`,
      `    used ${plural(total, 'time')} by ${clients.join(', ')}:`,
      ...table(OPERATION_COLUMNS, operationRows(b.operations), '    '),
    ];
  });
}

/** Each app break: app, version, operation (name and id prefix), why. */
export function appBreakLines(breaks: readonly AppBreak[]): string[] {
  return breaks.map((b) => `  - ${b.app} ${b.version}: ${operationName(b.operationName)} (${b.operationId.slice(0, 12)}): ${b.message}`);
}

/** Whether an item of a refusal's extensions.usage is a UsageBreak (the registry sends them as the contract's type). */
export function isUsageBreak(item: unknown): item is UsageBreak {
  const record = item as Partial<UsageBreak> | null;
  return Boolean(record && typeof record === 'object' && record.change && typeof record.change === 'object' && Array.isArray(record.operations));
}

export function isAppBreak(item: unknown): item is AppBreak {
  const record = item as Partial<AppBreak> | null;
  return Boolean(record && typeof record === 'object' && typeof record.app === 'string' && typeof record.version === 'string' && typeof record.operationId === 'string');
}
