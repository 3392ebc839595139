import type { ReportedCount, ReportedOperation, UsageReport } from '@zigong/platform';
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { SchemaChange } from './checks';
import { LOCK_NAMESPACE, USAGE_RETENTION_LOCK } from './database';
import { RegistryErrorCode, registryError } from './errors';
import { requireText } from './validation';

/**
 * Usage (issue #28): what gateways report clients did (POST /usage), kept per hour, variant,
 * client name and version, and operation; who used a schema coordinate; the variant's rules for
 * what counts as use; and which breaking changes break someone in the window.
 */

export type { ReportedCount, ReportedOperation, UsageReport } from '@zigong/platform';

/** OperationUsage of registry.graphql. */
export interface OperationUsage {
  client: string;
  clientVersion: string;
  operationHash: string;
  operationName: string | null;
  signature: string;
  count: number;
  errors: number;
  firstSeen: Date;
  lastSeen: Date;
}

export interface ClientUsage {
  client: string;
  clientVersion: string;
  count: number;
  lastSeen: Date;
}

/** CoordinateUsage of registry.graphql. */
export interface CoordinateUsage {
  coordinate: string;
  since: Date;
  total: number;
  lastSeen: Date | null;
  clients: ClientUsage[];
  operations: OperationUsage[];
}

export interface UsageRules {
  variant: string;
  window: string;
  clientWindows: { client: string; window: string }[];
  excludedClients: string[];
  minCount: number;
}

export interface UsageRulesInput {
  window?: string | null;
  clientWindows?: { client: string; window: string }[] | null;
  excludedClients?: string[] | null;
  minCount?: number | null;
}

export interface UsageBreak {
  change: SchemaChange;
  operations: OperationUsage[];
}

/** How the breaking changes of a proposal stand against the usage in the window. */
export interface UsageJudgement {
  usageBreaks: UsageBreak[];
  /** The rules it was judged under; none when no change was breaking (no rule was read). */
  rules?: UsageRules;
  unusedBreakingChanges: SchemaChange[];
}

/** A report the registry refuses: its HTTP status and stable code, answered by the /usage route. */
export class UsageReportError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UsageReportError';
  }
}

export const DEFAULT_RULES = { window: '30d', clientWindows: [], excludedClients: [], minCount: 1 } as const;
const HOUR = 3_600;
const DAY = 86_400;
/** A schema coordinate as gateways report them and SchemaChange.coordinate names them (no directive). */
export const COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*){0,2}$/;
const HASH = /^[0-9a-f]{64}$/;
const MAX_CLIENT_LENGTH = 256;
const MAX_NAME_LENGTH = 1_024;
const MAX_COORDINATES = 10_000;
/** A minute further ahead than this is a broken clock, not usage. */
const FUTURE_SLACK_MS = DAY * 1000;

/**
 * A duration of usage: whole hours or days (`12h`, `30d`, `400d`); usage is kept per hour, so
 * nothing finer means anything. Null when the text is not one.
 */
export function windowSeconds(text: string): number | null {
  const match = /^([1-9][0-9]{0,5})(h|d)$/.exec(text);
  return match ? Number(match[1]) * (match[2] === 'h' ? HOUR : DAY) : null;
}

function requireWindow(text: unknown, field: string, maxSeconds: number): number {
  const seconds = typeof text === 'string' ? windowSeconds(text) : null;
  if (seconds === null) {
    throw registryError(RegistryErrorCode.INVALID_INPUT, `${field}: "${String(text).slice(0, 40)}" is not a duration: whole hours or days, e.g. 12h, 30d, 400d.`, { field });
  }
  if (seconds > maxSeconds) {
    throw registryError(
      RegistryErrorCode.INVALID_INPUT,
      `${field}: ${text} is longer than the usage the registry keeps (REGISTRY_USAGE_RETENTION, ${Math.floor(maxSeconds / DAY)}d): older usage is deleted, so it could never count.`,
      { field },
    );
  }
  return seconds;
}

/** A client's name as reported (apollographql-client-name, a token's azp, `unknown`) or named in rules. */
function clientProblem(value: unknown, { allowEmpty = false } = {}): string | null {
  if (typeof value !== 'string') return 'is not a string';
  if (value === '' && !allowEmpty) return 'is empty';
  if (value.length > MAX_CLIENT_LENGTH) return `is longer than ${MAX_CLIENT_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f\uFFFD]/.test(value)) return 'holds a control character or U+FFFD';
  if (value.trim() !== value) return 'starts or ends with white space';
  return null;
}

function requireClient(value: unknown, field: string): string {
  const problem = clientProblem(value);
  if (problem) throw registryError(RegistryErrorCode.INVALID_INPUT, `${field}: the client name ${problem}.`, { field });
  return value as string;
}

/** The coordinate asked for, or INVALID_INPUT. */
export function requireCoordinate(value: string): string {
  requireText(value, 'coordinate');
  if (!COORDINATE.test(value)) {
    throw registryError(RegistryErrorCode.INVALID_INPUT, `"${value.slice(0, 80)}" is not a schema coordinate: Type, Type.field, Type.field.arg, Input.field or Enum.VALUE.`, {
      field: 'coordinate',
    });
  }
  return value;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The report's shape, checked strictly before anything is stored: a report that is wrong in one
 * place is refused whole (the gateway counts it dropped), never stored in part.
 */
export function parseUsageReport(body: unknown): UsageReport {
  const fail = (message: string): never => {
    throw new UsageReportError(400, 'INVALID_USAGE_REPORT', message);
  };
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(body)) fail('The report is not a JSON object.');
  const { variant, operations, counts } = body as Record<string, unknown>;
  const extra = Object.keys(body as object).filter((key) => !['variant', 'operations', 'counts'].includes(key));
  if (extra.length) fail(`The report has unknown fields: ${extra.slice(0, 5).join(', ')}.`);
  if (typeof variant !== 'string' || variant === '') fail('variant must be a variant name.');
  if (!Array.isArray(operations)) fail('operations must be an array.');
  if (!Array.isArray(counts)) fail('counts must be an array.');
  const seen = new Set<string>();
  const parsedOperations = (operations as unknown[]).map((operation, index): ReportedOperation => {
    const at = `operations[${index}]`;
    if (!isObject(operation)) return fail(`${at} is not an object.`);
    const { hash, name, signature, coordinates } = operation;
    if (typeof signature !== 'string' || signature === '') fail(`${at}.signature must be the operation's signature.`);
    if (typeof hash !== 'string' || !HASH.test(hash)) fail(`${at}.hash must be a sha256 in lower-case hex.`);
    if (hash !== sha256(signature as string)) fail(`${at}.hash is not the sha256 of its signature.`);
    if (seen.has(hash as string)) fail(`${at} repeats the operation ${hash}.`);
    seen.add(hash as string);
    if (name !== null && name !== undefined && (typeof name !== 'string' || name.length > MAX_NAME_LENGTH)) fail(`${at}.name must be null or a string.`);
    if (!Array.isArray(coordinates) || coordinates.length > MAX_COORDINATES) fail(`${at}.coordinates must be an array of at most ${MAX_COORDINATES} coordinates.`);
    for (const coordinate of coordinates as unknown[]) {
      if (typeof coordinate !== 'string' || !COORDINATE.test(coordinate)) fail(`${at}.coordinates holds "${String(coordinate).slice(0, 80)}", which is not a schema coordinate.`);
    }
    for (const [field, value] of [['signature', signature], ['name', name ?? '']] as const) {
      try {
        requireText(value as string, field);
      } catch (error) {
        fail(`${at}.${(error as Error).message}`);
      }
    }
    return { hash: hash as string, name: (name as string | null | undefined) ?? null, signature: signature as string, coordinates: [...new Set(coordinates as string[])].sort() };
  });
  const latest = Date.now() + FUTURE_SLACK_MS;
  const parsedCounts = (counts as unknown[]).map((row, index): ReportedCount => {
    const at = `counts[${index}]`;
    if (!isObject(row)) return fail(`${at} is not an object.`);
    const { minute, client, clientVersion, hash, count, errors, durationMsSum } = row;
    const time = typeof minute === 'string' ? Date.parse(minute) : NaN;
    if (!Number.isFinite(time)) fail(`${at}.minute must be an ISO 8601 instant.`);
    if (time > latest) fail(`${at}.minute is more than a day ahead of the registry's clock.`);
    const clientIssue = clientProblem(client);
    if (clientIssue) fail(`${at}.client ${clientIssue}.`);
    const versionIssue = clientProblem(clientVersion, { allowEmpty: true });
    if (versionIssue) fail(`${at}.clientVersion ${versionIssue}.`);
    if (typeof hash !== 'string' || !HASH.test(hash)) fail(`${at}.hash must be a sha256 in lower-case hex.`);
    if (!Number.isSafeInteger(count) || (count as number) < 1) fail(`${at}.count must be a whole number of at least 1.`);
    if (!Number.isSafeInteger(errors) || (errors as number) < 0 || (errors as number) > (count as number)) fail(`${at}.errors must be a whole number from 0 to count.`);
    if (typeof durationMsSum !== 'number' || !Number.isFinite(durationMsSum) || durationMsSum < 0) fail(`${at}.durationMsSum must be a number of at least 0.`);
    return {
      minute: new Date(time).toISOString(),
      client: client as string,
      clientVersion: clientVersion as string,
      hash: hash as string,
      count: count as number,
      errors: errors as number,
      durationMsSum: durationMsSum as number,
    };
  });
  return { variant: variant as string, operations: parsedOperations, counts: parsedCounts };
}

interface HourRow {
  hour: string;
  client: string;
  client_version: string;
  hash: string;
  count: number;
  errors: number;
  duration: number;
  first_seen: string;
  last_seen: string;
}

/** The minute rows of a report added up per hour, sorted: one upsert per row, rows locked in one order by every replica. */
function hourRows(counts: ReportedCount[]): HourRow[] {
  const rows = new Map<string, HourRow>();
  for (const count of counts) {
    const hour = new Date(Math.floor(Date.parse(count.minute) / (HOUR * 1000)) * HOUR * 1000).toISOString();
    const key = JSON.stringify([hour, count.client, count.clientVersion, count.hash]);
    const row = rows.get(key);
    if (!row) {
      rows.set(key, {
        hour,
        client: count.client,
        client_version: count.clientVersion,
        hash: count.hash,
        count: count.count,
        errors: count.errors,
        duration: count.durationMsSum,
        first_seen: count.minute,
        last_seen: count.minute,
      });
    } else {
      row.count += count.count;
      row.errors += count.errors;
      row.duration += count.durationMsSum;
      if (count.minute < row.first_seen) row.first_seen = count.minute;
      if (count.minute > row.last_seen) row.last_seen = count.minute;
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** Which rows count, when usage is read: the window per client, clients left out. */
interface UsageFilter {
  /** Seconds back from now, for clients without one of their own. */
  windowSeconds: number;
  clientWindows?: Map<string, number>;
  excludedClients?: string[];
}

export interface UsageStoreOptions {
  /** REGISTRY_USAGE_RETENTION in seconds: hours older than this are deleted. */
  retentionSeconds: number;
  /** The clock; tests leave it. */
  now?: () => Date;
}

/**
 * Usage in Postgres: reports added up per hour in one transaction each, read back per coordinate.
 * An operation's coordinates are kept once, in usage_operation and as rows of usage_coordinate
 * (see the migration), so "who used Village.name since T" is an index range and a join.
 */
export class UsageStore {
  private readonly now: () => Date;

  constructor(
    private readonly db: DataSource,
    private readonly options: UsageStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  get retentionSeconds(): number {
    return this.options.retentionSeconds;
  }

  /**
   * Stores a checked report: its operations (new ones inserted, known ones given any coordinate
   * they lacked), then its counts added to their hours. One transaction: all of it or nothing.
   * Answers the number of count rows stored. A count naming an operation neither in the report
   * nor known is refused (400), as the report cannot say what it used.
   */
  async ingest(report: UsageReport): Promise<number> {
    const operations = [...report.operations].sort((a, b) => (a.hash < b.hash ? -1 : 1));
    const rows = hourRows(report.counts);
    // An operation is first seen at its earliest minute reported, not when the report arrived.
    const firstSeen = new Map<string, string>();
    for (const row of rows) if (!firstSeen.has(row.hash) || row.first_seen < firstSeen.get(row.hash)!) firstSeen.set(row.hash, row.first_seen);
    await this.db.transaction(async (tx) => {
      if (operations.length) {
        await tx.query(
          `INSERT INTO registry.usage_operation (variant, hash, name, signature, coordinates, first_seen)
           SELECT $1, o.hash, o.name, o.signature, ARRAY(SELECT jsonb_array_elements_text(o.coordinates)), coalesce(o.first_seen, now())
             FROM jsonb_to_recordset($2::jsonb) AS o(hash text, name text, signature text, coordinates jsonb, first_seen timestamptz)
            ORDER BY o.hash
           ON CONFLICT (variant, hash) DO UPDATE
             SET coordinates = ARRAY(SELECT DISTINCT c FROM unnest(usage_operation.coordinates || EXCLUDED.coordinates) AS c ORDER BY c),
                 first_seen = least(usage_operation.first_seen, EXCLUDED.first_seen)
             WHERE NOT usage_operation.coordinates @> EXCLUDED.coordinates OR EXCLUDED.first_seen < usage_operation.first_seen`,
          [report.variant, JSON.stringify(operations.map((operation) => ({ ...operation, first_seen: firstSeen.get(operation.hash) ?? null })))],
        );
        await tx.query(
          `INSERT INTO registry.usage_coordinate (variant, coordinate, hash)
           SELECT $1, c.coordinate, o.hash
             FROM jsonb_to_recordset($2::jsonb) AS o(hash text, coordinates jsonb), jsonb_array_elements_text(o.coordinates) AS c(coordinate)
            ORDER BY c.coordinate, o.hash
           ON CONFLICT DO NOTHING`,
          [report.variant, JSON.stringify(operations.map(({ hash, coordinates }) => ({ hash, coordinates })))],
        );
      }
      if (!rows.length) return;
      const named = new Set(operations.map((operation) => operation.hash));
      const others = [...new Set(rows.map((row) => row.hash).filter((hash) => !named.has(hash)))];
      if (others.length) {
        const known = new Set(
          (await tx.query(`SELECT hash FROM registry.usage_operation WHERE variant = $1 AND hash = ANY($2::text[])`, [report.variant, others])).map((row: { hash: string }) => row.hash),
        );
        const unknown = others.filter((hash) => !known.has(hash));
        if (unknown.length) {
          throw new UsageReportError(400, 'INVALID_USAGE_REPORT', `counts name ${unknown.length} operation${unknown.length === 1 ? '' : 's'} the report does not describe and the registry does not know (${unknown[0]}): send its signature and coordinates in operations.`);
        }
      }
      await tx.query(
        `INSERT INTO registry.usage_hourly (variant, hour, client, client_version, hash, count, errors, duration_ms_sum, first_seen, last_seen)
         SELECT $1, r.hour, r.client, r.client_version, r.hash, r.count, r.errors, r.duration, r.first_seen, r.last_seen
           FROM jsonb_to_recordset($2::jsonb)
             AS r(hour timestamptz, client text, client_version text, hash text, count bigint, errors bigint, duration float8, first_seen timestamptz, last_seen timestamptz)
         ON CONFLICT (variant, hour, client, client_version, hash) DO UPDATE SET
           count = usage_hourly.count + EXCLUDED.count,
           errors = usage_hourly.errors + EXCLUDED.errors,
           duration_ms_sum = usage_hourly.duration_ms_sum + EXCLUDED.duration_ms_sum,
           first_seen = least(usage_hourly.first_seen, EXCLUDED.first_seen),
           last_seen = greatest(usage_hourly.last_seen, EXCLUDED.last_seen)`,
        [report.variant, JSON.stringify(rows)],
      );
    });
    return report.counts.length;
  }

  /** Who used the coordinate (or, for a type or field, anything in it) since now minus `sinceSeconds`: every client, no rule applied. */
  async coordinateUsage(variant: string, coordinate: string, sinceSeconds: number): Promise<CoordinateUsage> {
    return this.usage(variant, coordinate, { windowSeconds: sinceSeconds });
  }

  private async usage(variant: string, coordinate: string, filter: UsageFilter, manager: EntityManager = this.db.manager): Promise<CoordinateUsage> {
    const now = this.now();
    const windows = [...(filter.clientWindows ?? new Map()).entries()];
    const longest = Math.max(filter.windowSeconds, ...windows.map(([, seconds]) => seconds));
    // A row is the hour it began; one that began before the earliest cutoff may hold later minutes.
    const earliest = new Date(now.getTime() - (longest + HOUR) * 1000);
    const rows: Array<{
      client: string;
      client_version: string;
      hash: string;
      name: string | null;
      signature: string;
      count: number;
      errors: number;
      first_seen: Date;
      last_seen: Date;
    }> = await manager.query(
      `SELECT h.client, h.client_version, h.hash, o.name, o.signature,
              sum(h.count)::float8 AS count, sum(h.errors)::float8 AS errors, min(h.first_seen) AS first_seen, max(h.last_seen) AS last_seen
         FROM registry.usage_hourly h
         JOIN registry.usage_operation o ON o.variant = h.variant AND o.hash = h.hash
         LEFT JOIN unnest($5::text[], $6::float8[]) AS w(client, seconds) ON w.client = h.client
        WHERE h.variant = $1
          AND h.hash IN (SELECT c.hash FROM registry.usage_coordinate c
                          WHERE c.variant = $1 AND (c.coordinate = $2 OR (c.coordinate >= $2 || '.' AND c.coordinate < $2 || '/')))
          AND h.hour >= $4
          AND h.last_seen >= $3::timestamptz - make_interval(secs => coalesce(w.seconds, $7))
          AND NOT (h.client = ANY($8::text[]))
        GROUP BY h.client, h.client_version, h.hash, o.name, o.signature
        ORDER BY count DESC, h.client, h.client_version, h.hash`,
      [variant, coordinate, now, earliest, windows.map(([client]) => client), windows.map(([, seconds]) => seconds), filter.windowSeconds, filter.excludedClients ?? []],
    );
    const operations: OperationUsage[] = rows.map((row) => ({
      client: row.client,
      clientVersion: row.client_version,
      operationHash: row.hash,
      operationName: row.name,
      signature: row.signature,
      count: row.count,
      errors: row.errors,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
    }));
    const clients = new Map<string, ClientUsage>();
    for (const operation of operations) {
      const key = JSON.stringify([operation.client, operation.clientVersion]);
      const client = clients.get(key);
      if (!client) clients.set(key, { client: operation.client, clientVersion: operation.clientVersion, count: operation.count, lastSeen: operation.lastSeen });
      else {
        client.count += operation.count;
        if (operation.lastSeen > client.lastSeen) client.lastSeen = operation.lastSeen;
      }
    }
    const lastSeen = operations.reduce<Date | null>((latest, operation) => (!latest || operation.lastSeen > latest ? operation.lastSeen : latest), null);
    return {
      coordinate,
      since: new Date(now.getTime() - filter.windowSeconds * 1000),
      total: operations.reduce((sum, operation) => sum + operation.count, 0),
      lastSeen,
      clients: [...clients.values()].sort((a, b) => b.count - a.count || a.client.localeCompare(b.client) || a.clientVersion.localeCompare(b.clientVersion)),
      operations,
    };
  }

  /** The variant's rules, the defaults until someone sets them. */
  async rules(variant: string, manager: EntityManager = this.db.manager): Promise<UsageRules> {
    const [row] = await manager.query(`SELECT "window", client_windows, excluded_clients, min_count FROM registry.usage_rules WHERE variant = $1`, [variant]);
    if (!row) return { variant, ...DEFAULT_RULES, clientWindows: [], excludedClients: [] };
    return { variant, window: row.window, clientWindows: row.client_windows, excludedClients: row.excluded_clients, minCount: row.min_count };
  }

  /** Replaces the variant's rules; a field left out keeps its value. Refused whole (INVALID_INPUT) when any part is wrong. */
  async setRules(variant: string, input: UsageRulesInput, by: string): Promise<UsageRules> {
    const current = await this.rules(variant);
    const max = this.options.retentionSeconds;
    const window = input.window ?? current.window;
    requireWindow(window, 'window', max);
    const clientWindows = (input.clientWindows ?? current.clientWindows).map(({ client, window }, index) => {
      requireWindow(window, `clientWindows[${index}].window`, max);
      return { client: requireClient(client, `clientWindows[${index}].client`), window };
    });
    const repeated = clientWindows.find((entry, index) => clientWindows.findIndex((other) => other.client === entry.client) !== index);
    if (repeated) throw registryError(RegistryErrorCode.INVALID_INPUT, `clientWindows names ${repeated.client} twice.`, { field: 'clientWindows' });
    const excludedClients = [...new Set((input.excludedClients ?? current.excludedClients).map((client, index) => requireClient(client, `excludedClients[${index}]`)))];
    const minCount = input.minCount ?? current.minCount;
    if (!Number.isSafeInteger(minCount) || minCount < 1) throw registryError(RegistryErrorCode.INVALID_INPUT, `minCount must be a whole number of at least 1, got ${minCount}.`, { field: 'minCount' });
    await this.db.query(
      `INSERT INTO registry.usage_rules (variant, "window", client_windows, excluded_clients, min_count, updated_by)
       VALUES ($1, $2, $3::jsonb, $4::text[], $5, $6)
       ON CONFLICT (variant) DO UPDATE SET "window" = EXCLUDED."window", client_windows = EXCLUDED.client_windows,
         excluded_clients = EXCLUDED.excluded_clients, min_count = EXCLUDED.min_count, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [variant, window, JSON.stringify(clientWindows), excludedClients, minCount, by],
    );
    return { variant, window, clientWindows, excludedClients, minCount };
  }

  /**
   * The breaking changes that break someone: for each one with a coordinate, the usage of what it
   * breaks under the variant's rules (each client's window, excluded clients left out); at least
   * minCount requests in all and it is a usage break. The others are unused, unless `alsoUsed`
   * (what registered operations and active apps use) holds what they break: those are judged by
   * their own checks, and are not reported as unused. `manager`: a publish's transaction, whose
   * connection it reads on (see RegistryService.evaluate).
   */
  async judge(variant: string, changes: SchemaChange[], alsoUsed: ReadonlySet<string> = new Set(), manager: EntityManager = this.db.manager): Promise<UsageJudgement> {
    const judgement: UsageJudgement = { usageBreaks: [], unusedBreakingChanges: [] };
    const breaking = changes.filter((change) => change.severity === 'BREAKING');
    if (!breaking.length) return judgement;
    const rules = await this.rules(variant, manager);
    judgement.rules = rules;
    const filter: UsageFilter = {
      windowSeconds: windowSeconds(rules.window) ?? windowSeconds(DEFAULT_RULES.window)!,
      clientWindows: new Map(rules.clientWindows.flatMap(({ client, window }) => (windowSeconds(window) ? [[client, windowSeconds(window)!] as const] : []))),
      excludedClients: rules.excludedClients,
    };
    for (const change of breaking) {
      const target = usageTarget(change);
      if (!target) {
        judgement.unusedBreakingChanges.push(change);
        continue;
      }
      const usage = await this.usage(variant, target, filter, manager);
      if (usage.total > 0 && usage.total >= rules.minCount) judgement.usageBreaks.push({ change, operations: usage.operations });
      else if (![...alsoUsed].some((used) => within(used, target))) judgement.unusedBreakingChanges.push(change);
    }
    return judgement;
  }

  /**
   * Deletes hours older than the retention, then operations no hour refers to any more and first
   * seen before it. Safe with several replicas: the delete is idempotent, and the transaction's
   * advisory lock lets one replica sweep at a time (the others skip). Answers what it deleted.
   */
  async sweep(): Promise<{ hours: number; operations: number } | null> {
    const cutoff = new Date(this.now().getTime() - this.options.retentionSeconds * 1000);
    return this.db.transaction(async (tx) => {
      const [{ locked }] = await tx.query('SELECT pg_try_advisory_xact_lock($1, $2) AS locked', [LOCK_NAMESPACE, USAGE_RETENTION_LOCK]);
      if (!locked) return null;
      // An hour is deleted once all of it is past the cutoff.
      const hours = await tx.query(`DELETE FROM registry.usage_hourly WHERE hour < $1::timestamptz - interval '1 hour'`, [cutoff]);
      const operations = await tx.query(
        `DELETE FROM registry.usage_operation o WHERE o.first_seen < $1
            AND NOT EXISTS (SELECT 1 FROM registry.usage_hourly h WHERE h.variant = o.variant AND h.hash = o.hash)`,
        [cutoff],
      );
      return { hours: hours[1] ?? 0, operations: operations[1] ?? 0 };
    });
  }
}

/**
 * What a breaking change breaks the users of, as a coordinate: the coordinate it names, but for a
 * required argument or input field added, the field or input type it was added to (nobody used
 * the new one; everyone using its parent now fails). Null for a directive's changes: gateways do
 * not report directives.
 */
export function usageTarget(change: SchemaChange): string | null {
  const coordinate = change.coordinate;
  if (!coordinate || !COORDINATE.test(coordinate)) return null;
  if (change.type === 'REQUIRED_ARG_ADDED' || change.type === 'REQUIRED_INPUT_FIELD_ADDED') return coordinate.slice(0, coordinate.lastIndexOf('.'));
  return coordinate;
}

/** Whether `used` is `target` or inside it (`Village.name` is inside `Village`). */
export function within(used: string, target: string): boolean {
  return used === target || used.startsWith(`${target}.`);
}
