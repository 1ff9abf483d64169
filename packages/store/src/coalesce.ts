/**
 * Runs `flush` one at a time: values that arrive while one runs are merged into the next, so a
 * busy worker makes one round trip for many jobs instead of one each, and an idle one flushes at
 * once. Each caller's promise settles with the flush that carried its value.
 */
export function coalesce<T>(
  merge: (a: T, b: T) => T,
  flush: (value: T) => Promise<unknown>,
): (value: T) => Promise<void> {
  let next: { value: T; done: PromiseWithResolvers<void> } | null = null;
  let running = false;
  const run = () => {
    const batch = next;
    if (!batch) return;
    next = null;
    running = true;
    flush(batch.value)
      .then(() => batch.done.resolve(), batch.done.reject)
      .finally(() => {
        running = false;
        run();
      });
  };
  return (value) => {
    if (next) next.value = merge(next.value, value);
    else next = { value, done: Promise.withResolvers<void>() };
    const { promise } = next.done;
    if (!running) run();
    return promise;
  };
}

/**
 * `coalesce` per key: values of one key merge and flush one at a time, keys apart (a model's
 * lessons, a tenant's outbox). Each key's line is made on its first value and kept.
 */
export function coalesceBy<T>(
  merge: (a: T, b: T) => T,
  flush: (key: string, value: T) => Promise<unknown>,
): (key: string, value: T) => Promise<void> {
  const lines = new Map<string, (value: T) => Promise<void>>();
  return (key, value) => {
    let line = lines.get(key);
    if (!line) {
      line = coalesce(merge, (merged: T) => flush(key, merged));
      lines.set(key, line);
    }
    return line(value);
  };
}
