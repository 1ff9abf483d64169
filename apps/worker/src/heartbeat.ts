import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { InFlightJob, WorkerHeartbeat } from '@imagen-queue/contract';
import type { Logger } from '@imagen-queue/shared';
import type { HeartbeatStore } from '@imagen-queue/store';

/** The jobs this process is running right now, keyed by job id. */
export function createInFlight() {
  const jobs = new Map<string, InFlightJob>();
  return {
    add(job: Omit<InFlightJob, 'started_at'>) {
      jobs.set(job.job_id, { ...job, started_at: new Date().toISOString() });
    },
    delete(jobId: string) {
      jobs.delete(jobId);
    },
    list: (): InFlightJob[] => [...jobs.values()],
  };
}
export type InFlight = ReturnType<typeof createInFlight>;

export interface HeartbeatOptions {
  store: HeartbeatStore;
  inFlight: InFlight;
  /** Read at each beat: the adaptive concurrency changes. */
  capacity: () => Pick<
    WorkerHeartbeat,
    'concurrency' | 'limited_by' | 'pace_per_min' | 'latency_ms'
  >;
  logger: Logger;
  /** @defaultValue 5000 ms */
  intervalMs?: number;
  /** A worker silent this long is no longer listed. @defaultValue 3 × intervalMs */
  ttlSeconds?: number;
}

/**
 * Writes this process's heartbeat every few seconds; the returned release stops the beat and
 * removes the entry, so a worker that shuts down cleanly disappears at once.
 */
export function startHeartbeat(options: HeartbeatOptions): { id: string; stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 5_000;
  const ttlSeconds = options.ttlSeconds ?? Math.ceil((3 * intervalMs) / 1000);
  const host = hostname();
  const id = `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const startedAt = new Date().toISOString();
  const beat = async () => {
    try {
      await options.store.write(
        {
          id,
          hostname: host,
          pid: process.pid,
          started_at: startedAt,
          seen_at: new Date().toISOString(),
          ...options.capacity(),
          in_flight: options.inFlight.list(),
        },
        ttlSeconds,
      );
    } catch (error) {
      options.logger.warn({ err: error }, 'heartbeat write failed');
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return {
    id,
    async stop() {
      clearInterval(timer);
      await options.store.remove(id).catch(() => undefined);
    },
  };
}
