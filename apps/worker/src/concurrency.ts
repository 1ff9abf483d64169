import type { Logger } from '@imagen-queue/shared';
import type { CallGate } from './call-gate.ts';

/** What holds this worker's throughput: the provider's quota (good), or this worker's own caps. */
export type LimitedBy = 'provider_quota' | 'concurrency_cap' | 'memory' | 'storage';

export interface CapacityStatus {
  concurrency: number;
  limited_by: LimitedBy;
  /** The fleet's pace per model, calls per minute. */
  pace_per_min: Record<string, number>;
  /** Observed provider call latency (moving average), ms; null before the first call. */
  latency_ms: number | null;
  live_workers: number;
}

export interface ConcurrencyOptions {
  /** BullMQ's `worker.concurrency` may be set while the worker runs. */
  worker: { concurrency: number };
  paces: () => Promise<Record<string, number>>;
  liveWorkers: () => Promise<number>;
  gate: Pick<CallGate, 'state'>;
  /** `WORKER_CONCURRENCY`: pins the concurrency; null lets it follow the pace. */
  pinned: number | null;
  maxConcurrency: number;
  memoryBudgetBytes: number;
  /** The pace assumed before any model has been called. */
  initialPerMin: number;
  log: Logger;
  /** Calls in flight beyond Little's law, so callers wait on the pace and slow start can see demand. @defaultValue 1.5 */
  headroom?: number;
  /** Latency assumed before the first call has answered. @defaultValue 5000 ms */
  assumedLatencyMs?: number;
  /** @defaultValue 2000 ms */
  intervalMs?: number;
}

/**
 * Sizes this worker's concurrency from what it measures (Little's law): calls in flight =
 * the fleet's pace × the call latency × headroom, split across the live workers, bounded by
 * `WORKER_MAX_CONCURRENCY` and by the memory budget (image bytes a job holds until stored).
 */
export function startConcurrencyControl(options: ConcurrencyOptions) {
  const headroom = options.headroom ?? 1.5;
  let latencyMs: number | null = null;
  let jobBytes = 0;
  let status: CapacityStatus = {
    concurrency: options.worker.concurrency,
    limited_by: 'provider_quota',
    pace_per_min: {},
    latency_ms: null,
    live_workers: 1,
  };
  const size = (paces: Record<string, number>, workers: number): CapacityStatus => {
    const pacePerMin = Object.values(paces).reduce((sum, rate) => sum + rate, 0);
    const latency = latencyMs ?? options.assumedLatencyMs ?? 5_000;
    const wanted =
      Math.ceil(
        (((pacePerMin || options.initialPerMin) / 60) * (latency / 1000) * headroom) / workers,
      ) + 1;
    const memoryCap =
      jobBytes > 0 ? Math.max(1, Math.floor(options.memoryBudgetBytes / jobBytes)) : Infinity;
    const cap = Math.min(options.pinned ?? options.maxConcurrency, memoryCap);
    const concurrency = options.pinned ?? Math.max(1, Math.min(wanted, cap));
    const limitedBy: LimitedBy =
      options.gate.state() === 'storage'
        ? 'storage'
        : wanted <= cap
          ? 'provider_quota'
          : memoryCap < (options.pinned ?? options.maxConcurrency)
            ? 'memory'
            : 'concurrency_cap';
    return {
      concurrency,
      limited_by: limitedBy,
      pace_per_min: paces,
      latency_ms: latencyMs === null ? null : Math.round(latencyMs),
      live_workers: workers,
    };
  };
  const tick = async () => {
    try {
      const [paces, workers] = await Promise.all([options.paces(), options.liveWorkers()]);
      status = size(paces, Math.max(1, workers));
      if (status.concurrency !== options.worker.concurrency) {
        options.log.info(
          {
            from: options.worker.concurrency,
            to: status.concurrency,
            limitedBy: status.limited_by,
          },
          'concurrency changed',
        );
        options.worker.concurrency = status.concurrency;
      }
    } catch (error) {
      options.log.warn({ err: error }, 'could not size the concurrency; keeping it');
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 2_000);
  timer.unref();
  return {
    /** One provider call's latency and image bytes; moving averages weigh the recent calls. */
    observe(callMs: number, bytes: number) {
      latencyMs = latencyMs === null ? callMs : 0.9 * latencyMs + 0.1 * callMs;
      jobBytes = jobBytes === 0 ? bytes : 0.9 * jobBytes + 0.1 * bytes;
    },
    status: () => status,
    stop() {
      clearInterval(timer);
    },
  };
}
export type ConcurrencyControl = ReturnType<typeof startConcurrencyControl>;
