import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanKind,
  SpanStatusCode,
  type Context,
  INVALID_SPAN_CONTEXT,
  TraceFlags,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { EnvReader } from './env';

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const SAMPLERS = ['parentbased_traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'traceidratio', 'always_on', 'always_off'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingConfig {
  /** Where spans are sent (OTLP over HTTP); undefined: tracing is off. */
  tracesUrl?: string;
  protocol: OtlpProtocol;
  serviceName: string;
  /** Which requests are traced: OTEL_TRACES_SAMPLER, and its ratio (OTEL_TRACES_SAMPLER_ARG) for the *traceidratio ones. */
  sampler: SamplerName;
  ratio: number;
}

/**
 * The standard OpenTelemetry variables this platform honours, read once per process:
 * OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL; `/v1/traces` is appended) or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL), OTEL_EXPORTER_OTLP_PROTOCOL,
 * OTEL_SERVICE_NAME, OTEL_SDK_DISABLED and OTEL_TRACES_SAMPLER(_ARG), with the specification's
 * defaults (parentbased_always_on; a ratio of 1). The SDK itself reads OTEL_BSP_* and
 * OTEL_EXPORTER_OTLP_HEADERS.
 */
export function loadTracingConfig(service: string, env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const read = new EnvReader(env);
  const protocols = ['http:', 'https:'];
  const traces = read.optionalUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', protocols);
  const base = read.optionalUrl('OTEL_EXPORTER_OTLP_ENDPOINT', protocols);
  const protocol = read.oneOf<OtlpProtocol>(
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    OTLP_PROTOCOLS,
    read.oneOf<OtlpProtocol>('OTEL_EXPORTER_OTLP_PROTOCOL', OTLP_PROTOCOLS, 'http/protobuf'),
  );
  const disabled = read.bool('OTEL_SDK_DISABLED', false);
  const serviceName = read.string('OTEL_SERVICE_NAME', service);
  const sampler = read.oneOf<SamplerName>('OTEL_TRACES_SAMPLER', SAMPLERS, 'parentbased_always_on');
  const rawRatio = read.optional('OTEL_TRACES_SAMPLER_ARG');
  const ratio = rawRatio === undefined || !sampler.endsWith('traceidratio') ? 1 : Number(rawRatio);
  if (!(ratio >= 0 && ratio <= 1)) read.problem(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 (e.g. 0.1), got "${rawRatio}".`);
  read.done();
  const tracesUrl = disabled ? undefined : (traces ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined));
  return { tracesUrl, protocol, serviceName, sampler, ratio };
}

export interface Tracing {
  /** Sends what is still buffered and stops; call it last when the process stops. */
  shutdown(): Promise<void>;
}

let tracer: Tracer | undefined;
/** Whether a request is traced, decided once at its server span (null: nothing is). */
let decide: ((traceparent: string | undefined) => boolean) | null = null;
/**
 * What an unsampled request tells the processes it calls: "not sampled" (flags 00), so that a
 * parent-based subgraph follows without a decision of its own. One per process: nobody records
 * these trace ids, and making none per request is the point.
 */
let unsampledParent = '';

/** Whether this process records spans: only once startTracing found an endpoint. */
export const tracingOn = (): boolean => tracer !== undefined;

/**
 * Registers OpenTelemetry for the process when the config names an endpoint: spans batched to an
 * OTLP collector, W3C trace context, async-hooks context. Otherwise nothing: the SDK is not even
 * loaded, and a process that does not trace pays one test per span site.
 * Call it before anything whose library is instrumented (pg) is loaded.
 */
export async function startTracing(config: TracingConfig): Promise<Tracing | undefined> {
  if (!config.tracesUrl) return undefined;
  const [sdk, { resourceFromAttributes }, { OTLPTraceExporter: Exporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    config.protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  const { AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider } = sdk;
  /** Every tracer it hands out (ours, Apollo's) makes spans only inside a sampled request. */
  class Provider extends NodeTracerProvider {
    override getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
      return new SampledOnly(super.getTracer(name, version, options));
    }

    /** Ours: our span sites decide themselves (serverSpan starts the sampled requests). */
    sdkTracer(name: string): Tracer {
      return super.getTracer(name);
    }
  }
  const provider = new Provider({
    // The decision is made before the SDK is asked (serverSpan); what reaches it is recorded.
    sampler: new AlwaysOnSampler(),
    resource: resourceFromAttributes({
      'service.name': config.serviceName,
      'service.namespace': 'zigong',
      'service.instance.id': `${hostname()}:${process.pid}`,
    }),
    spanProcessors: [new BatchSpanProcessor(new Exporter({ url: config.tracesUrl }))],
  });
  provider.register();
  tracer = provider.sdkTracer('zigong');
  decide = requestSampling(config);
  unsampledParent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
  return {
    shutdown: async () => {
      tracer = undefined;
      decide = null;
      await provider.shutdown();
    },
  };
}

/**
 * Runs `work` inside a new span (a child of the active one) inside a sampled request, and ends it
 * with the work's outcome: a thrown error is recorded, with its GraphQL code where it has one.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracer || !sampledIn(context.active())) return work(undefined);
  return tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** inSpan for synchronous work (query planning). */
export function inSpanSync<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => T): T {
  if (!tracer || !sampledIn(context.active())) return work(undefined);
  return tracer.startActiveSpan(name, options, (span) => {
    try {
      return work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed by an error, with the error's GraphQL code as `graphql.error.codes`. */
export function failSpan(span: Span, error: unknown): void {
  const code = (error as { extensions?: { code?: unknown } })?.extensions?.code;
  if (typeof code === 'string') span.setAttribute('graphql.error.codes', [code]);
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Records the codes of a GraphQL answer's errors on the active span, marking it failed. */
export function recordErrorCodes(codes: Iterable<string>): void {
  const span = tracer && trace.getActiveSpan();
  if (!span) return;
  const unique = [...new Set(codes)];
  if (!unique.length) return;
  span.setAttribute('graphql.error.codes', unique);
  span.setStatus({ code: SpanStatusCode.ERROR, message: unique.join(', ') });
}

/** Adds the active trace's `traceparent` (and `tracestate`) to headers about to be sent; outside a sampled request, "not sampled". */
export function injectTraceContext(headers: Record<string, string>): void {
  if (!tracer) return;
  const active = context.active();
  if (sampledIn(active)) propagation.inject(active, headers);
  else headers.traceparent = unsampledParent;
}

/**
 * A request's server span, a child of the caller's `traceparent` where it sent one; `run` goes
 * on inside it. The span is ended by the caller (when the response is finished). Whether the
 * request is traced is decided here, once: an unsampled one gets no span, no context and no
 * attributes, and every span site below it costs one test.
 */
export function serverSpan<T>(name: string, headers: IncomingHttpHeaders, attributes: Record<string, string>, run: (span: Span | undefined) => T): T {
  const traceparent = typeof headers.traceparent === 'string' ? headers.traceparent : undefined;
  if (!tracer || !decide?.(traceparent)) return run(undefined);
  const parent = traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return context.with(trace.setSpan(parent, span), () => run(span));
}

/** W3C trace context, version 00: trace id, parent id, flags. */
const TRACEPARENT = /^00-(?!0{32})[\da-f]{32}-(?!0{16})[\da-f]{16}-[\da-f]{2}$/;

/**
 * OTEL_TRACES_SAMPLER's rule, for a request: parent-based samplers follow a valid traceparent's
 * sampled flag; a request without one (or any request, for the others) is sampled at the ratio.
 */
export function requestSampling({ sampler, ratio }: Pick<TracingConfig, 'sampler' | 'ratio'>): (traceparent: string | undefined) => boolean {
  const root = sampler.endsWith('always_on') ? () => true : sampler.endsWith('always_off') || ratio === 0 ? () => false : () => Math.random() < ratio;
  if (!sampler.startsWith('parentbased_')) return root;
  return (traceparent) => (traceparent !== undefined && TRACEPARENT.test(traceparent) ? (parseInt(traceparent.slice(53), 16) & TraceFlags.SAMPLED) !== 0 : root());
}

/**
 * A span for a call out of the process (an SQL statement) when the request is sampled, named and
 * described by `describe` only then; the caller ends it. Otherwise undefined, at one test.
 */
export function clientSpan(describe: () => { name: string; attributes: Record<string, string | number> }): Span | undefined {
  if (!tracer) return undefined;
  if (!sampledIn(context.active())) return undefined;
  const { name, attributes } = describe();
  return tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
}

/** Inside a sampled request: the context holds a span whose trace is sampled. */
function sampledIn(active: Context): boolean {
  const span = trace.getSpan(active);
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

const NOT_RECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * A tracer that makes spans only inside a sampled request; elsewhere it hands back one span that
 * records nothing, without a context switch. The SDK would make a non-recording span with new
 * ids, a sampler call and a context switch for each, for nothing: Apollo's gateway asks for half
 * a dozen per request, and that was most of an unsampled request's price.
 */
class SampledOnly implements Tracer {
  constructor(private readonly sdk: Tracer) {}

  startSpan(name: string, options?: SpanOptions, parent?: Context): Span {
    const active = parent ?? context.active();
    return sampledIn(active) ? this.sdk.startSpan(name, options, active) : NOT_RECORDED;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const work = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : {};
    const parent = rest.length > 2 ? (rest[1] as Context) : context.active();
    if (!sampledIn(parent)) return work(NOT_RECORDED) as ReturnType<F>;
    return this.sdk.startActiveSpan(name, options, parent, work);
  }
}

export { SpanKind, SpanStatusCode, type Span };
