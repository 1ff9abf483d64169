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
