import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  SpanKind,
  SpanStatusCode,
  type Context,
  TraceFlags,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
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
  const { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } = sdk;
  const root = config.sampler.endsWith('always_off') ? new AlwaysOffSampler() : config.sampler.endsWith('always_on') ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(config.ratio);
  /** Every tracer it hands out (ours, Apollo's) makes no span at all below an unsampled one. */
  class Provider extends NodeTracerProvider {
    override getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
      return new SampledOnly(super.getTracer(name, version, options));
    }
  }
  const provider = new Provider({
    sampler: config.sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root,
    resource: resourceFromAttributes({
      'service.name': config.serviceName,
      'service.namespace': 'zigong',
      'service.instance.id': `${hostname()}:${process.pid}`,
    }),
    spanProcessors: [new BatchSpanProcessor(new Exporter({ url: config.tracesUrl }))],
  });
  provider.register();
  tracer = trace.getTracer('zigong');
  return {
    shutdown: async () => {
      tracer = undefined;
      await provider.shutdown();
    },
  };
}

/**
 * Runs `work` inside a new span (a child of the active one) when tracing is on, and ends it with
 * the work's outcome: a thrown error is recorded, with its GraphQL code where it has one.
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracer || unsampled(context.active())) return work(undefined);
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
  if (!tracer || unsampled(context.active())) return work(undefined);
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

/** Adds the active trace's `traceparent` (and `tracestate`) to headers about to be sent. */
export function injectTraceContext(headers: Record<string, string>): void {
  if (tracer) propagation.inject(context.active(), headers);
}

/**
 * A request's server span, a child of the caller's `traceparent` where it sent one; `run` goes
 * on inside it. The span is ended by the caller (when the response is finished).
 */
export function serverSpan<T>(name: string, headers: IncomingHttpHeaders, attributes: Record<string, string>, run: (span: Span | undefined) => T): T {
  if (!tracer) return run(undefined);
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  // An unsampled request still carries its (unsampled) span, so that everything below it skips
  // tracing at one test, and the subgraphs are told not to trace either.
  return context.with(trace.setSpan(parent, span), () => run(span.isRecording() ? span : undefined));
}

/**
 * A span for a call out of the process (an SQL statement) when the request is sampled: the
 * caller ends it. Otherwise undefined, at the cost of one test.
 */
export function clientSpan(name: string, attributes: Record<string, string | number>): Span | undefined {
  if (!tracer) return undefined;
  const parent = trace.getSpan(context.active());
  if (!parent || !(parent.spanContext().traceFlags & TraceFlags.SAMPLED)) return undefined;
  return tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
}

/** Inside a request that is not sampled: its span says so (a span without one is a root, for the sampler to decide). */
function unsampled(active: Context): boolean {
  const span = trace.getSpan(active);
  return span !== undefined && !(span.spanContext().traceFlags & TraceFlags.SAMPLED);
}

/**
 * A tracer that, below an unsampled span, hands back that span instead of making a child: the
 * SDK would make a non-recording child, with new ids, a sampler call and a context switch each,
 * for nothing. Apollo's gateway makes half a dozen spans per request, so this is where an
 * unsampled request's price went. Sampled requests and roots go to the SDK unchanged.
 */
class SampledOnly implements Tracer {
  constructor(private readonly sdk: Tracer) {}

  startSpan(name: string, options?: SpanOptions, parent?: Context): Span {
    const active = parent ?? context.active();
    return unsampled(active) ? trace.getSpan(active)! : this.sdk.startSpan(name, options, active);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const work = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : {};
    const parent = rest.length > 2 ? (rest[1] as Context) : undefined;
    // The active context already holds the unsampled span: nothing to switch to.
    if (parent === undefined && unsampled(context.active())) return work(trace.getActiveSpan()!) as ReturnType<F>;
    return this.sdk.startActiveSpan(name, options, parent ?? context.active(), work);
  }
}

export { SpanKind, SpanStatusCode, type Span };
