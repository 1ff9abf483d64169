import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Random bytes drawn 4 KB at a time and used 16 per id (as `crypto.randomUUID` does): one
 * syscall per 256 ids instead of one each, which a 10,000-job batch notices.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;

function random16(): Buffer {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

/**
 * Time-ordered ids (`job_…`, `bat_…`): 10 characters of milliseconds then 16 random ones,
 * Crockford base32, so ids sort by creation and cannot be guessed.
 */
export function newId(kind: 'job' | 'bat' | 'evt'): string {
  let tail = '';
  for (const byte of random16()) tail += ALPHABET[byte % 32];
  return `${idTimePrefix(kind, Date.now())}${tail}`;
}

/** The start every id made at `ms` has: ids made earlier sort before it. */
export function idTimePrefix(kind: 'job' | 'bat' | 'evt', ms: number): string {
  let time = ms;
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return `${kind}_${head}`;
}

export const JOB_ID_PATTERN = '^job_[0-9a-z]{26}$';
export const BATCH_ID_PATTERN = '^bat_[0-9a-z]{26}$';
