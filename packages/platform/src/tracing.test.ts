import { ConfigError } from './env';
import { loadTracingConfig, requestSampling } from './tracing';

// Exporting is tested on real processes: tests/e2e/tracing.e2e.test.ts.
describe('tracing configuration', () => {
  it('is off without an endpoint, and with OTEL_SDK_DISABLED', () => {
    expect(loadTracingConfig('gateway', {}).tracesUrl).toBeUndefined();
    expect(loadTracingConfig('gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracesUrl).toBeUndefined();
  });

  it('sends to the collector’s /v1/traces, or to the traces endpoint as given, as protobuf unless told', () => {
    expect(loadTracingConfig('finance', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'finance',
      sampler: 'parentbased_always_on',
      ratio: 1,
    });
    expect(
      loadTracingConfig('finance', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'finance-blue',
      }),
    ).toEqual({ tracesUrl: 'https://traces.example/otlp', protocol: 'http/json', serviceName: 'finance-blue', sampler: 'parentbased_always_on', ratio: 1 });
  });

  it('samples as OTEL_TRACES_SAMPLER says, a ratio only for the ratio samplers', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadTracingConfig('gateway', { ...endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.05' })).toMatchObject({
      sampler: 'parentbased_traceidratio',
      ratio: 0.05,
    });
    expect(loadTracingConfig('gateway', { ...endpoint, OTEL_TRACES_SAMPLER: 'traceidratio' })).toMatchObject({ sampler: 'traceidratio', ratio: 1 });
    expect(loadTracingConfig('gateway', { ...endpoint, OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: 'ignored' })).toMatchObject({ sampler: 'always_off' });
  });

  it('names every bad variable at once', () => {
    const load = () =>
      loadTracingConfig('gateway', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER: 'jaeger_remote',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT[\s\S]*OTEL_EXPORTER_OTLP_PROTOCOL must be one of http\/protobuf, http\/json[\s\S]*OTEL_TRACES_SAMPLER must be one of parentbased_traceidratio/);
    for (const bad of ['1.5', '-0.1', 'ten percent', '']) {
      const ratio = () => loadTracingConfig('gateway', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: bad });
      if (bad === '') expect(ratio().ratio).toBe(1);
      else expect(ratio).toThrow(/OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1/);
    }
  });
});

describe('which requests are traced', () => {
  const parent = (flags: string) => `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-${flags}`;
  const share = (decide: (traceparent?: string) => boolean, traceparent?: string) => {
    let sampled = 0;
    for (let i = 0; i < 20_000; i++) if (decide(traceparent)) sampled++;
    return sampled / 20_000;
  };

  it('parent-based: a valid traceparent decides; without one, or with a malformed one, the ratio does', () => {
    const decide = requestSampling({ sampler: 'parentbased_traceidratio', ratio: 0.1 });
    expect(share(decide, parent('01'))).toBe(1);
    expect(share(decide, parent('03'))).toBe(1);
    expect(share(decide, parent('00'))).toBe(0);
    for (const traceparent of [undefined, 'garbage', parent('0x'), `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, parent('01').replace(/^00/, 'ff')]) {
      const seen = share(decide, traceparent);
      expect(seen).toBeGreaterThan(0.08);
      expect(seen).toBeLessThan(0.12);
    }
  });

  it('a ratio of 0 traces no request that comes without a sampled parent; always_on every one; non-parent-based samplers ignore the parent', () => {
    expect(share(requestSampling({ sampler: 'parentbased_traceidratio', ratio: 0 }))).toBe(0);
    expect(share(requestSampling({ sampler: 'parentbased_traceidratio', ratio: 0 }), parent('01'))).toBe(1);
    expect(share(requestSampling({ sampler: 'parentbased_always_on', ratio: 1 }))).toBe(1);
    expect(share(requestSampling({ sampler: 'parentbased_always_off', ratio: 1 }), parent('01'))).toBe(1);
    expect(share(requestSampling({ sampler: 'always_off', ratio: 1 }), parent('01'))).toBe(0);
    expect(share(requestSampling({ sampler: 'always_on', ratio: 1 }), parent('00'))).toBe(1);
    expect(share(requestSampling({ sampler: 'traceidratio', ratio: 0 }), parent('01'))).toBe(0);
  });
});
