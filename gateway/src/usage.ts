import type { Identity, Logger, ReportedCount, Shortcut, UsageReport } from '@zigong/platform';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { ParsedQuery } from './documents';
import type { Metrics } from './metrics';
import { type OperationUsage, operationUsage } from './usage-coordinates';

/**
 * Usage reporting: which client used which operation (and so which schema coordinates) how often,
 * counted in memory per minute and sent to the registry's POST /usage in gzip batches, where it
 * decides which breaking changes break someone. At most once: a report that fails is dropped and
 * counted, never retried, and nothing here can fail or hold up a request.
 */

export interface UsageConfig {
  /** The registry's POST /usage. */
  url: string;
  variant: string;
  /** Sent as X-Supergraph-Key: the gateway's key to the registry. */
  key?: string;
  flushMs: number;
  /** Distinct client × version × operation × minute rows held between flushes; more are dropped and counted. */
  maxKeys: number;
  /** How long one POST may take. */
  timeoutMs: number;
}

export const CLIENT_NAME_HEADER = 'apollographql-client-name';
export const CLIENT_VERSION_HEADER = 'apollographql-client-version';
export const UNKNOWN_CLIENT = 'unknown';
/** A name or version longer than this is cut: a header must not make a row (or a label) arbitrarily large. */
const MAX_CLIENT_TEXT = 100;

/** Control characters (a tab is allowed in a header), U+FFFD and lone surrogates: the registry refuses a whole report for one of them. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A client's name or version as sent (a header, a claim): printable, trimmed, bounded; empty where it is not a string. */
const clientText = (value: unknown) => (typeof value === 'string' ? value.replace(UNPRINTABLE, '').trim().slice(0, MAX_CLIENT_TEXT).trim() : '');

/** Who a request came from: the apollographql-client-* headers, else the token's azp, else `unknown` (a version only from the header). */
export function clientOf(headers: IncomingHttpHeaders, identity: Identity | null | undefined): { client: string; clientVersion: string } {
  const client = clientText(headers[CLIENT_NAME_HEADER]) || clientText(identity?.azp) || UNKNOWN_CLIENT;
  return { client, clientVersion: clientText(headers[CLIENT_VERSION_HEADER]) };
}

/** What a route that answers without Apollo (the response cache, the direct route) ran, for usage reporting. */
export interface Ran {
  /** The query text (a persisted query's text once resolved). */
  text: string;
  operationName: string | null | undefined;
  document?: DocumentNode;
  /** Whether the answer carries errors. */
  errors: boolean;
}

/** A shortcut's answer, with what it ran. */
export interface RanShortcut extends Shortcut {
  ran?: Ran;
}

/** One request that reached validation, as the gateway saw it answered. */
export interface UsageRecord {
  client: string;
  clientVersion: string;
  /** The query text it ran (a persisted query's text once resolved). */
  text: string;
  operationName: string | null | undefined;
  /** Its parsed text where the route has it already; else it is parsed (once per text, in the gateway's parse cache). */
  document?: DocumentNode;
  errors: boolean;
  durationMs: number;
  at?: number;
}


interface Row {
  minute: number;
  client: string;
  clientVersion: string;
  operation: OperationUsage;
  count: number;
  errors: number;
  durationMsSum: number;
}

/** A report past this many bytes (of its JSON) is split: the registry refuses more than 4 MB (REGISTRY_MAX_USAGE_BYTES). */
const MAX_REPORT_BYTES = 2_000_000;
/** How long stopping waits for the last report: shutdown is not held up by a registry that is down. */
const STOP_TIMEOUT_MS = 5_000;
const gzipped = promisify(gzip);

export interface UsageReporterOptions {
  config: UsageConfig;
  metrics: Metrics;
  logger: Logger;
  parseQuery: (query: string) => ParsedQuery | null;
  /** How many operations' signatures and coordinates are kept, by text and operation name. */
  cacheSize?: number;
  now?: () => number;
}

export interface UsageReporter {
  /** Counts one request: a map update, plus working out its operation the first time its text is seen. */
  record(request: UsageRecord): void;
  /** A new supergraph: coordinates are worked out against its API schema from now on. */
  update(apiSchema: GraphQLSchema): void;
  /** Sends what is held now (tests; the timer does it every USAGE_FLUSH_MS). */
  flush(): Promise<void>;
  /** Stops the timer and sends what is held, within a bounded time. */
  stop(): Promise<void>;
}

/** Reports usage to the registry; see the top of this file. */
export function usageReporter({ config, metrics, logger, parseQuery, cacheSize = 2_000, now = Date.now }: UsageReporterOptions): UsageReporter {
  let schema: GraphQLSchema | undefined;
  // Undefined stands for "no operation": a document naming none is not worked out again.
  // Bounded in entries and in characters: the keys are whole query texts.
  const operations = new LRUCache<string, { operation: OperationUsage | undefined }>({
    max: cacheSize,
    maxSize: 16_000_000,
    sizeCalculation: (value, key) =>
      key.length + (value.operation ? value.operation.signature.length + value.operation.coordinates.reduce((sum, c) => sum + c.length, 0) : 0) + 1,
  });
  let rows = new Map<string, Row>();
  let sending: Promise<void> | undefined;
  let stopped = false;

  const operationOf = (request: UsageRecord): OperationUsage | undefined => {
    const key = `${request.operationName ?? ''}\n${request.text}`;
    const known = operations.get(key);
    if (known) return known.operation;
    let document = request.document;
    if (!document) {
      try {
        document = parseQuery(request.text)?.document;
      } catch {
        document = undefined; // too many tokens: Apollo refused it before validation
      }
    }
    const operation = document && schema ? operationUsage(schema, document, request.operationName) : undefined;
    operations.set(key, { operation });
    return operation;
  };

  const record = (request: UsageRecord) => {
    if (stopped) return;
    let operation: OperationUsage | undefined;
    try {
      operation = operationOf(request);
    } catch (error) {
      // Never the request's problem: the worst a bug here does is leave a request uncounted.
      logger.warn({ err: error }, 'usage: could not work out an operation’s coordinates');
      return;
    }
    if (!operation) return;
    const minute = Math.floor((request.at ?? now()) / 60_000) * 60_000;
    const key = `${minute}\n${request.client}\n${request.clientVersion}\n${operation.hash}`;
    let row = rows.get(key);
    if (!row) {
      if (rows.size >= config.maxKeys) {
        metrics.usageDropped.inc({ reason: 'cap' });
        return;
      }
      rows.set(key, (row = { minute, client: request.client, clientVersion: request.clientVersion, operation, count: 0, errors: 0, durationMsSum: 0 }));
    }
    row.count++;
    if (request.errors) row.errors++;
    row.durationMsSum += request.durationMs;
  };

  /** The rows as reports of at most MAX_REPORT_BYTES each (estimated), each naming the operations its counts use. */
  const reportsOf = (held: Row[]): Array<{ report: UsageReport; requests: number }> => {
    const reports: Array<{ report: UsageReport; requests: number }> = [];
    let current: { report: UsageReport; requests: number; bytes: number; hashes: Set<string> } | undefined;
    for (const row of held) {
      const count: ReportedCount = {
        minute: new Date(row.minute).toISOString(),
        client: row.client,
        clientVersion: row.clientVersion,
        hash: row.operation.hash,
        count: row.count,
        errors: row.errors,
        durationMsSum: Math.round(row.durationMsSum * 1000) / 1000,
      };
      const countBytes = 120 + count.client.length + count.clientVersion.length;
      const operationBytes = current?.hashes.has(row.operation.hash)
        ? 0
        : 100 + row.operation.signature.length + row.operation.coordinates.reduce((sum, c) => sum + c.length + 3, 0);
      if (!current || (current.bytes + countBytes + operationBytes > MAX_REPORT_BYTES && current.report.counts.length > 0)) {
        current = { report: { variant: config.variant, operations: [], counts: [] }, requests: 0, bytes: 100, hashes: new Set() };
        reports.push(current);
      }
      if (!current.hashes.has(row.operation.hash)) {
        current.hashes.add(row.operation.hash);
        const { hash, name, signature, coordinates } = row.operation;
        // The registry takes names of up to 1,024 characters; GraphQL sets no bound.
        current.report.operations.push({ hash, name: name && name.slice(0, 1_024), signature, coordinates });
        current.bytes += 100 + signature.length + coordinates.reduce((sum, c) => sum + c.length + 3, 0);
      }
      current.report.counts.push(count);
      current.requests += row.count;
      current.bytes += countBytes;
    }
    return reports.map(({ report, requests }) => ({ report, requests }));
  };

  const send = async (report: UsageReport, requests: number, timeoutMs: number) => {
    let reason: string;
    try {
      const body = await gzipped(JSON.stringify(report));
      const response = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          ...(config.key ? { 'x-supergraph-key': config.key } : {}),
        },
        // A view of the gzip bytes as fetch's types take them (a Buffer is one, by another type).
        body: new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status === 202 || response.status === 200) {
        metrics.usageSent.inc();
        metrics.usageOperations.inc(requests);
        return;
      }
      reason = `http_${response.status}`;
    } catch (error) {
      reason = (error as Error)?.name === 'TimeoutError' ? 'timeout' : 'registry_unreachable';
    }
    metrics.usageDropped.inc({ reason }, requests);
    logger.warn({ url: config.url, reason, requests }, 'usage report not accepted; its counts are dropped');
  };

  const flushWithin = async (timeoutMs: number) => {
    if (rows.size === 0) return;
    const held = [...rows.values()];
    rows = new Map();
    for (const { report, requests } of reportsOf(held)) await send(report, requests, timeoutMs);
  };

  // One flush at a time: a slow registry delays the next report, and rows wait (up to the cap).
  const flush = () => {
    if (!sending) {
      sending = flushWithin(config.timeoutMs).finally(() => {
        sending = undefined;
      });
    }
    return sending;
  };

  const timer = setInterval(() => void flush(), config.flushMs);
  timer.unref();

  return {
    record,
    update(apiSchema) {
      schema = apiSchema;
      operations.clear();
    },
    flush,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      const deadline = Math.min(config.timeoutMs, STOP_TIMEOUT_MS);
      await Promise.race([sending, new Promise((done) => setTimeout(done, deadline).unref())]);
      await flushWithin(deadline);
    },
  };
}
