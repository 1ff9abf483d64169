/**
 * For tests: resolves once `probe` holds, checking every few milliseconds. A test waits for the
 * signal it needs (the emulator counted the request) instead of sleeping a guessed time; if the
 * signal never comes, the test's own timeout fails it.
 */
export async function until(probe: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await probe())) await new Promise((resolve) => setTimeout(resolve, 5));
}
