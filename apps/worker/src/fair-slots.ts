/**
 * The worker process's running slots, shared by every tenant's queue and handed out round-robin
 * across tenants that are waiting: when tenant A has 2,000 jobs fetched and tenant B one, B's
 * job gets the next free slot, not the 2,001st.
 */
export interface FairSlots {
  /** Resolves with a release function once the tenant may run one more job. */
  acquire(tenant: string, signal?: AbortSignal): Promise<() => void>;
  readonly running: number;
  readonly waiting: number;
}

export function createFairSlots(capacity: number): FairSlots {
  let running = 0;
  const waiters = new Map<string, (() => void)[]>();
  /** Tenants with waiters, in the order they will be served. */
  const rotation: string[] = [];

  const grantNext = () => {
    while (running < capacity && rotation.length > 0) {
      const tenant = rotation.shift()!;
      const queue = waiters.get(tenant)!;
      const wake = queue.shift()!;
      if (queue.length > 0) rotation.push(tenant);
      else waiters.delete(tenant);
      running++;
      wake();
    }
  };

  const release = () => {
    running--;
    grantNext();
  };

  return {
    get running() {
      return running;
    },
    get waiting() {
      let count = 0;
      for (const queue of waiters.values()) count += queue.length;
      return count;
    },
    acquire(tenant, signal) {
      return new Promise((resolve, reject) => {
        let released = false;
        const once = () => {
          if (!released) {
            released = true;
            release();
          }
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(once);
        };
        const onAbort = () => {
          const queue = waiters.get(tenant);
          const index = queue?.indexOf(wake) ?? -1;
          if (queue && index >= 0) {
            queue.splice(index, 1);
            if (queue.length === 0) {
              waiters.delete(tenant);
              rotation.splice(rotation.indexOf(tenant), 1);
            }
          }
          reject(signal?.reason ?? new Error('aborted'));
        };
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        const queue = waiters.get(tenant);
        if (queue) queue.push(wake);
        else {
          waiters.set(tenant, [wake]);
          rotation.push(tenant);
        }
        grantNext();
      });
    },
  };
}
