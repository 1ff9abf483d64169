import { describe, expect, it } from 'vitest';
import { BATCH_ID_PATTERN, idTimePrefix, JOB_ID_PATTERN, newId } from './ids.ts';

describe('newId', () => {
  it('makes ids of the documented form, none twice, across many pool refills', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('job'));
    for (const id of ids.slice(0, 500)) expect(id).toMatch(new RegExp(JOB_ID_PATTERN));
    expect(new Set(ids).size).toBe(ids.length);
    expect(newId('bat')).toMatch(new RegExp(BATCH_ID_PATTERN));
    expect(newId('evt')).toMatch(/^evt_[0-9a-z]{26}$/);
  });

  it('starts with the time prefix of the millisecond it was made in, per kind', () => {
    const before = Date.now();
    const job = newId('job');
    const batch = newId('bat');
    const after = Date.now();
    for (const [id, kind] of [
      [job, 'job'],
      [batch, 'bat'],
    ] as const) {
      expect(id >= idTimePrefix(kind, before)).toBe(true);
      expect(id.slice(0, 14) <= idTimePrefix(kind, after)).toBe(true);
    }
  });

  it('sorts ids made in a later millisecond after earlier ones', async () => {
    const first = newId('job');
    const started = Date.now();
    while (Date.now() === started) await new Promise((resolve) => setImmediate(resolve));
    expect(newId('job') > first).toBe(true);
  });

  it('draws every character of the tail from the whole alphabet', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) for (const char of newId('job').slice(14)) seen.add(char);
    expect([...seen].sort().join('')).toBe('0123456789abcdefghjkmnpqrstvwxyz');
  });
});
