import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';

const tracing = (env: Record<string, string>) => loadConfig(env).tracing;

describe('the OTEL_* variables', () => {
  it('leave tracing off when none is set', () => {
    expect(tracing({}).enabled).toBe(false);
  });

  it('turn it on with an endpoint, appending the signal path to the general one', () => {
    const config = tracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-token=a%20b,x-team=ops',
      OTEL_SERVICE_NAME: 'api-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config).toMatchObject({
      enabled: true,
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: { 'x-token': 'a b', 'x-team': 'ops' },
      serviceName: 'api-eu',
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
    });
  });

  it('use the traces endpoint as given, and honour the off switches', () => {
    const url = 'http://tempo:4318/otlp/v1/traces';
    expect(tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url })).toMatchObject({
      enabled: true,
      url,
    });
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(tracing({ ...on, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(tracing({ ...on, OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
  });

  it('name a protocol or sampler we cannot use', () => {
    try {
      loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_TRACES_SAMPLER: 'sometimes' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const fields = (error as ConfigError).problems.map((p) => p.split(':')[0]).sort();
      expect(fields).toEqual(['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER']);
    }
  });
});
