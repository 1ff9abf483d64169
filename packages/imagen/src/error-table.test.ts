import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, ruleFor } from './error-table.ts';
import { parseRetryAfter } from './retry-after.ts';

describe('the error table, row by row', () => {
  it.each([
    [400, 'invalid_request', false],
    [401, 'provider_auth', false],
    [402, 'provider_quota', false],
    [403, 'provider_auth', false],
    [404, 'invalid_request', false],
    [408, 'timeout', true],
    [409, 'invalid_request', false],
    [422, 'invalid_request', false],
    [429, 'rate_limited', true],
    [500, 'provider_unavailable', true],
    [502, 'provider_unavailable', true],
    [503, 'provider_unavailable', true],
    [504, 'provider_unavailable', true],
    [302, 'invalid_response', true],
    ['refused', 'content_filtered', false],
    ['all_filtered', 'content_filtered', false],
    ['timeout', 'timeout', true],
    ['network', 'network', true],
    ['canceled', 'canceled', false],
    ['invalid_response', 'invalid_response', true],
    ['too_large', 'invalid_response', false],
  ] as const)('%s → %s (retryable: %s)', (when, code, retryable) => {
    expect(ruleFor(when)).toMatchObject({ code, retryable });
  });

  it('has no row that an earlier row hides', () => {
    for (const [index, row] of ERROR_TABLE.entries()) {
      const probe = Array.isArray(row.when) ? row.when[1] : row.when;
      expect(ruleFor(probe)).toBe(ERROR_TABLE[index]);
    }
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 7 ', 7_000],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', null],
    ['', null],
    [undefined, null],
  ])('%j → %j ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});
