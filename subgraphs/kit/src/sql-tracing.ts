import { clientSpan, type Span, SpanStatusCode } from '@zigong/platform';
import { Client } from 'pg';

const traced = Symbol('zigong.sqlSpans');

type Query = (this: Client, ...args: unknown[]) => unknown;

/**
 * A span per SQL statement (its text, never its parameters), only inside a sampled request:
 * readiness probes, pool housekeeping and unsampled requests pay one test per statement. It
 * replaces @opentelemetry/instrumentation-pg, which worked on every statement and every pool
 * checkout of an unsampled request too (a span, its attributes, wrapped callbacks, pool metrics).
 * Connects get no span; the pool's waits show as the gap before a statement.
 */
export function traceSql(): void {
  const prototype = Client.prototype as unknown as { query: Query; [traced]?: true };
  if (prototype[traced]) return;
  const query = prototype.query;
  prototype[traced] = true;
  prototype.query = function tracedQuery(this: Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | null)?.text;
    const span = typeof text === 'string' ? clientSpan(() => ({ name: `pg.query:${operationOf(text)}`, attributes: attributesOf(this, text) })) : undefined;
    if (!span) return query.apply(this, args);
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (error: unknown, result: unknown) => void;
      args[last] = (error: unknown, result: unknown) => {
        end(span, error);
        callback(error, result);
      };
      return query.apply(this, args);
    }
    let result: unknown;
    try {
      result = query.apply(this, args);
    } catch (error) {
      end(span, error);
      throw error;
    }
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
      (result as Promise<unknown>).then(
        () => end(span),
        (error: unknown) => end(span, error),
      );
    } else end(span); // a submittable (a cursor or stream): its start is what is seen
    return result;
  };
}

/** A failure is named by its SQLSTATE only: Postgres' messages may quote the values. */
function end(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const code = (error as { code?: unknown } | null)?.code;
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? `SQLSTATE ${code}` : 'the statement failed' });
  }
  span.end();
}

/** The statement's first word (SELECT, INSERT, …), as the span's name says it. */
function operationOf(text: string): string {
  return /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
}

function attributesOf(client: Client, text: string): Record<string, string | number> {
  return {
    'db.system.name': 'postgresql',
    'db.namespace': client.database ?? '',
    'db.operation.name': operationOf(text),
    'db.query.text': text,
    'server.address': client.host,
    'server.port': client.port,
  };
}
