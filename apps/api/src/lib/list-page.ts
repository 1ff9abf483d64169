import type { ListIndex, ListKind } from '@imagen-queue/store';

/** How many index entries one page may read past while looking for a `status` match. */
const SCAN_PER_PAGE = 5000;
const READ_CHUNK = 200;

export interface ListPageOptions<R> {
  index: ListIndex;
  tenant: string;
  kind: ListKind;
  cursor: string | null;
  limit: number;
  /** The records of `ids`, `null` where one is gone (expired). */
  load(ids: string[]): Promise<(R | null)[]>;
  keep(record: R): boolean;
}

/**
 * One page of a tenant's list, newest first. The cursor is the last id the page looked at, so
 * a page with a `status` filter may come back short (or empty) with a cursor to go on from,
 * bounded work per request either way. Ids whose record expired are dropped from the index.
 */
export async function listPage<R>(
  options: ListPageOptions<R>,
): Promise<{ data: R[]; next_cursor: string | null }> {
  const { index, tenant, kind, limit } = options;
  const found: R[] = [];
  let cursor = options.cursor;
  let scanned = 0;
  let more = true;
  while (found.length < limit && scanned < SCAN_PER_PAGE && more) {
    const want = Math.min(READ_CHUNK, SCAN_PER_PAGE - scanned);
    // One extra id tells whether anything lies beyond this chunk.
    const ids = await index.page(tenant, kind, cursor, want + 1);
    more = ids.length > want;
    const chunk = ids.slice(0, want);
    const records = await options.load(chunk);
    const gone = chunk.filter((_, i) => records[i] === null);
    if (gone.length > 0) await index.forget(tenant, kind, gone);
    for (let i = 0; i < chunk.length; i++) {
      cursor = chunk[i]!;
      scanned += 1;
      const record = records[i];
      if (record && options.keep(record)) found.push(record);
      if (found.length === limit) {
        more = more || i < chunk.length - 1;
        break;
      }
    }
    if (chunk.length === 0) more = false;
  }
  return { data: found, next_cursor: more ? cursor : null };
}
