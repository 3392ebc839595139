import { type Authenticate, type Route, sendError, sendJson } from '@zigong/platform';
import { GraphQLError } from 'graphql';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ADMIN_SCOPE } from './access';
import { SUPERGRAPH_KEY_HEADER } from './supergraph.route';
import { parseUsageReport, UsageReportError, type UsageStore } from './usage';

const gunzipAsync = promisify(gunzip);

export type UsageOutcome = 'accepted' | 'invalid' | 'too_large' | 'unauthenticated' | 'forbidden' | 'unknown_variant' | 'failed';

export interface UsageRouteOptions {
  usage: UsageStore;
  /** The variants that exist (REGISTRY_VARIANTS). */
  variants: string[];
  /** SUPERGRAPH_KEYS: a gateway reports with the key it reads the supergraph with. */
  keys: string[];
  /** Local mode without keys: anyone who reaches the port may report. */
  open: boolean;
  authenticate: Authenticate;
  /** REGISTRY_MAX_USAGE_BYTES: the largest body, sent and gunzipped. */
  maxBytes: number;
  /** Called once per report with its outcome and, accepted, the count rows stored (metrics). */
  onReport?: (outcome: UsageOutcome, rows: number) => void;
  onError?: (error: unknown) => void;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

class TooLarge extends Error {}

/**
 * POST /usage: a gateway's usage report, gzip JSON (UsageReport in usage.ts), answered 202
 * {"accepted": <count rows>} once stored. Refused whole, nothing stored: 400 INVALID_USAGE_REPORT
 * (not gzip JSON of the shape), 413 (more than REGISTRY_MAX_USAGE_BYTES sent or once gunzipped: a
 * gzip bomb stops at the limit, never inflated whole), 404 UNKNOWN_VARIANT. Sent with a gateway's
 * access key (X-Supergraph-Key) or a registry:admin token. Not idempotent: a gateway sends a
 * report once and drops it when that fails, so a count is never added twice.
 */
export function usageRoute(options: UsageRouteOptions): Route {
  const keys = options.keys.map(digest);
  const keyMatches = (given: string) => {
    const candidate = digest(given);
    return keys.reduce((found, key) => timingSafeEqual(key, candidate) || found, false);
  };
  const refusal = async (req: IncomingMessage): Promise<{ status: number; code: string; message: string } | null> => {
    if (options.open) return null;
    const key = req.headers[SUPERGRAPH_KEY_HEADER];
    if (typeof key === 'string' && key !== '' && keys.length && keyMatches(key)) return null;
    if (req.headers.authorization) {
      try {
        const identity = await options.authenticate(req.headers.authorization);
        if (identity?.scopes.includes(ADMIN_SCOPE)) return null;
        return { status: 403, code: 'FORBIDDEN', message: `Reporting usage needs a gateway's access key (${SUPERGRAPH_KEY_HEADER}) or the scope ${ADMIN_SCOPE}.` };
      } catch (error) {
        if (error instanceof GraphQLError) {
          const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 401;
          return { status, code: String(error.extensions.code ?? 'UNAUTHENTICATED'), message: error.message };
        }
        throw error;
      }
    }
    return { status: 401, code: 'UNAUTHENTICATED', message: `Reporting usage needs a gateway's access key (${SUPERGRAPH_KEY_HEADER}) or a bearer token with ${ADMIN_SCOPE}.` };
  };

  return async (req, res) => {
    const refuse = (outcome: UsageOutcome, status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      options.onReport?.(outcome, 0);
      // The body may be unread: let the client stop sending it rather than keep the socket.
      sendError(res, status, code, message, status === 413 ? { connection: 'close', ...headers } : headers);
    };
    if (req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'POST /usage with a gzip JSON usage report.', { allow: 'POST' });
    const denied = await refusal(req);
    if (denied) {
      req.resume();
      return refuse(denied.status === 403 ? 'forbidden' : 'unauthenticated', denied.status, denied.code, denied.message);
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    if (encoding !== 'gzip' && encoding !== 'identity') {
      req.resume();
      return refuse('invalid', 415, 'INVALID_USAGE_REPORT', `Content-Encoding ${encoding.slice(0, 40)} is not read: send gzip.`);
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      req.resume();
      return refuse('invalid', 415, 'INVALID_USAGE_REPORT', 'A usage report is JSON (content-type: application/json), gzipped.');
    }
    try {
      const sent = await readLimited(req, options.maxBytes);
      let text: string;
      try {
        // maxOutputLength stops inflating at the limit: a few kB of zeros cannot become gigabytes here.
        text = (encoding === 'gzip' ? await gunzipAsync(sent, { maxOutputLength: options.maxBytes }) : sent).toString('utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new TooLarge();
        throw new UsageReportError(400, 'INVALID_USAGE_REPORT', 'The body is not gzip (content-encoding: gzip).');
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new UsageReportError(400, 'INVALID_USAGE_REPORT', 'The report is not valid JSON.');
      }
      const report = parseUsageReport(body);
      if (!options.variants.includes(report.variant)) {
        return refuse('unknown_variant', 404, 'UNKNOWN_VARIANT', `There is no variant "${report.variant.slice(0, 40)}"; the variants are ${options.variants.join(', ')}.`);
      }
      const accepted = await options.usage.ingest(report);
      options.onReport?.('accepted', accepted);
      sendJson(res, 202, { accepted });
    } catch (error) {
      if (error instanceof TooLarge) return refuse('too_large', 413, 'PAYLOAD_TOO_LARGE', `A usage report may be at most ${options.maxBytes} bytes, sent and gunzipped (REGISTRY_MAX_USAGE_BYTES).`);
      if (error instanceof UsageReportError) return refuse(error.status === 413 ? 'too_large' : 'invalid', error.status, error.code, error.message);
      options.onError?.(error);
      refuse('failed', 500, 'INTERNAL_SERVER_ERROR', 'The usage report could not be stored.');
    }
  };
}

/** The body, refused (TooLarge) as soon as more than `limit` bytes are announced or arrive. */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      return reject(new TooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new TooLarge());
        req.resume();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
