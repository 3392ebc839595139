import { ConfigError } from './env';
import { loadTracingConfig } from './tracing';

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
