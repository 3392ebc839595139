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
    });
    expect(
      loadTracingConfig('finance', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'finance-blue',
      }),
    ).toEqual({ tracesUrl: 'https://traces.example/otlp', protocol: 'http/json', serviceName: 'finance-blue' });
  });

  it('names every bad variable at once', () => {
    const load = () => loadTracingConfig('gateway', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT[\s\S]*OTEL_EXPORTER_OTLP_PROTOCOL must be one of http\/protobuf, http\/json/);
  });
});
