/** What was started, stopped in reverse: the users of a service before the service. */
export interface Stack {
  add(name: string, stop: () => unknown): void;
  /** Stops everything added, last first; a failure is reported and the rest still stop. */
  stopAll(onError?: (name: string, error: unknown) => void): Promise<void>;
}

export function createStack(): Stack {
  const entries: { name: string; stop: () => unknown }[] = [];
  return {
    add(name, stop) {
      entries.push({ name, stop });
    },
    async stopAll(onError) {
      while (entries.length > 0) {
        const { name, stop } = entries.pop() as (typeof entries)[number];
        try {
          await stop();
        } catch (error) {
          if (!onError) throw error;
          onError(name, error);
        }
      }
    },
  };
}
