import { ConfigError } from '@imagen-queue/shared';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EMULATOR_CONFIG,
  loadEmulatorConfig,
  parseConfigPatch,
  parseLatency,
} from './config.ts';

describe('loadEmulatorConfig', () => {
  it('defaults: 127.0.0.1:8090, no faults', () => {
    expect(loadEmulatorConfig({})).toEqual({
      ...DEFAULT_EMULATOR_CONFIG,
      port: 8090,
      host: '127.0.0.1',
      logLevel: 'info',
    });
  });

  it('reads every knob', () => {
    const settings = loadEmulatorConfig({
      EMULATOR_PORT: '0',
      EMULATOR_HOST: '0.0.0.0',
      EMULATOR_LATENCY_MS: '200-800',
      EMULATOR_RATE_LIMIT_RPM: '60',
      EMULATOR_RETRY_AFTER: 'false',
      EMULATOR_FAILURE_RATE: '0.1',
      EMULATOR_HANG_RATE: '0.05',
      EMULATOR_NOISE: 'true',
      EMULATOR_SMALL_IMAGES: 'true',
      EMULATOR_RESPONSE_SHAPE: 'output',
      EMULATOR_API_KEY: 'secret',
      EMULATOR_FORCE_STATUS: '503',
      EMULATOR_PRICE_USD: '0.05',
      EMULATOR_PRICES_USD: 'imagen-3.0-generate-002=0.03,google/imagen-4.0-generate-001=0.045',
    });
    expect(settings).toEqual({
      port: 0,
      host: '0.0.0.0',
      logLevel: 'info',
      latencyMs: [200, 800],
      rateLimitRpm: 60,
      retryAfter: false,
      failureRate: 0.1,
      hangRate: 0.05,
      noise: true,
      smallImages: true,
      responseShape: 'output',
      apiKey: 'secret',
      forceStatus: 503,
      pricesUsd: { 'imagen-3.0-generate-002': 0.03, 'google/imagen-4.0-generate-001': 0.045 },
      defaultPriceUsd: 0.05,
      creditsPerUsd: 2100,
    });
  });

  it('lists every invalid variable at once', () => {
    const attempt = () =>
      loadEmulatorConfig({
        EMULATOR_PORT: 'eighty',
        EMULATOR_LATENCY_MS: 'slow',
        EMULATOR_FAILURE_RATE: '2',
        EMULATOR_RESPONSE_SHAPE: 'xml',
        EMULATOR_RETRY_AFTER: 'maybe',
      });
    expect(attempt).toThrow(ConfigError);
    const problems = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
      }
    })();
    expect(new Set(problems)).toEqual(
      new Set([
        'EMULATOR_PORT',
        'EMULATOR_LATENCY_MS',
        'EMULATOR_FAILURE_RATE',
        'EMULATOR_RESPONSE_SHAPE',
        'EMULATOR_RETRY_AFTER',
      ]),
    );
  });

  it('refuses a latency range whose min exceeds its max', () => {
    expect(() => loadEmulatorConfig({ EMULATOR_LATENCY_MS: '900-100' })).toThrow(
      /EMULATOR_LATENCY_MS/,
    );
  });
});

describe('run-time patches', () => {
  it.each([
    [500, [500, 500]],
    ['100-300', [100, 300]],
    [
      [5, 10],
      [5, 10],
    ],
    ['10-1', null],
    [-1, null],
  ])('latency %j → %j', (input, expected) => {
    expect(parseLatency(input)).toEqual(expected);
  });

  it('accepts camelCase knobs and treats rateLimitRpm 0 as no limit', () => {
    expect(parseConfigPatch({ rateLimitRpm: 0, latencyMs: '5-10', forceStatus: 402 })).toEqual({
      patch: { rateLimitRpm: null, latencyMs: [5, 10], forceStatus: 402 },
    });
  });

  it('refuses unknown knobs and bad values, naming them', () => {
    const result = parseConfigPatch({ bogus: 1, failureRate: 3 });
    expect(result).toHaveProperty('errors');
    const errors = 'errors' in result ? result.errors.join('\n') : '';
    expect(errors).toMatch(/\/bogus/);
    expect(errors).toMatch(/\/failureRate/);
  });
});
