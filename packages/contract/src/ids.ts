import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Random bytes drawn 4 KB at a time and used 16 per id (as `crypto.randomUUID` does): one
 * syscall per 256 ids instead of one each, which a 10,000-job batch notices.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;
/** The alphabet's character codes, and the 16 of a tail, written here then read as one string. */
const CODES = Buffer.from(ALPHABET, 'latin1');
const tail = Buffer.alloc(16);
/** The last id start made, per kind: ids of one millisecond share it (a batch makes thousands). */
const starts = new Map<string, { ms: number; start: string }>();

/**
 * Time-ordered ids (`job_…`, `bat_…`): 10 characters of milliseconds then 16 random ones,
 * Crockford base32, so ids sort by creation and cannot be guessed. Built without a temporary a
 * character: a batch makes an id a job.
 */
export function newId(kind: 'job' | 'bat' | 'evt'): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  for (let i = 0; i < 16; i++) tail[i] = CODES[pool[offset + i]! % 32]!;
  offset += 16;
  const ms = Date.now();
  let last = starts.get(kind);
  if (last?.ms !== ms) {
    last = { ms, start: idTimePrefix(kind, ms) };
    starts.set(kind, last);
  }
  return last.start + tail.toString('latin1');
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
