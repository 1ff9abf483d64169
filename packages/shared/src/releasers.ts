/**
 * Resources register how to release themselves as they are acquired; `releaseAll` runs those
 * in reverse order (workers before the connections they use) and keeps going past failures.
 */
export interface Releasers {
  add(name: string, release: () => unknown): void;
  releaseAll(onError?: (name: string, error: unknown) => void): Promise<void>;
}

export function createReleasers(): Releasers {
  const stack: { name: string; release: () => unknown }[] = [];
  return {
    add(name, release) {
      stack.push({ name, release });
    },
    async releaseAll(onError) {
      while (stack.length > 0) {
        const { name, release } = stack.pop()!;
        try {
          await release();
        } catch (error) {
          onError?.(name, error);
        }
      }
    },
  };
}
