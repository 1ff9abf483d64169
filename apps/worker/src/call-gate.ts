import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@imagen-queue/shared';

/** Why a worker holds new provider calls back; `open` when it does not. */
export type GateState = 'open' | 'storage' | 'memory';

/**
 * Holds new provider calls back while this worker could not keep what they would buy: while
 * uploads fail (a paid image that cannot be stored only fills the spool) and while the image
 * bytes held between the provider's answer and the upload reach the memory budget. At a high
 * concurrency this is what keeps a storage outage from turning into a flood of paid calls.
 */
export interface CallGate {
  /** Resolves once a new provider call may start. */
  ready(signal?: AbortSignal): Promise<void>;
  /** Resolves once storage answers again (at once when it is not known to be down). */
  storageUp(signal?: AbortSignal): Promise<void>;
  uploadFailed(): void;
  uploadSucceeded(): void;
  /** Counts `bytes` as held until the returned release is called. */
  hold(bytes: number): () => void;
  heldBytes(): number;
  state(): GateState;
}

export interface CallGateOptions {
  /** A cheap storage call that succeeds once storage is back (`Storage.ping`). */
  probe: () => Promise<void>;
  memoryBudgetBytes: number;
  log: Logger;
  /** @defaultValue 2000 ms */
  probeIntervalMs?: number;
  /** How often a call held back for memory looks again. @defaultValue 100 ms */
  memoryPollMs?: number;
}

export function createCallGate(options: CallGateOptions): CallGate {
  const probeIntervalMs = options.probeIntervalMs ?? 2_000;
  const memoryPollMs = options.memoryPollMs ?? 100;
  let storageDown = false;
  let held = 0;
  // One probe at a time, however many calls wait: the waiters share its answer.
  let probing: Promise<void> | null = null;
  const probe = () => {
    probing ??= sleep(probeIntervalMs)
      .then(options.probe)
      .then(
        () => {
          if (storageDown) options.log.info('storage answers again; provider calls resume');
          storageDown = false;
        },
        () => undefined,
      )
      .finally(() => {
        probing = null;
      });
    return probing;
  };
  const state = (): GateState =>
    storageDown ? 'storage' : held >= options.memoryBudgetBytes ? 'memory' : 'open';
  return {
    async ready(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const now = state();
        if (now === 'open') return;
        if (now === 'storage') await probe();
        else await sleep(memoryPollMs, undefined, signal ? { signal } : {});
      }
    },
    async storageUp(signal) {
      while (storageDown) {
        signal?.throwIfAborted();
        await probe();
      }
    },
    uploadFailed() {
      if (!storageDown)
        options.log.warn('uploads fail; no new provider call until storage answers');
      storageDown = true;
    },
    uploadSucceeded() {
      storageDown = false;
    },
    hold(bytes) {
      held += bytes;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held -= bytes;
      };
    },
    heldBytes: () => held,
    state,
  };
}
