import type { Telemetry } from 'bullmq';
import type { TracingConfig } from './config.ts';

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** The attribute every span of a job carries (contract: "each span of a job carries it"). */
export const JOB_ID_ATTRIBUTE = 'imagen_queue.job_id';
export const BATCH_ID_ATTRIBUTE = 'imagen_queue.batch_id';

/**
 * What the API and the worker ask of tracing. Written without any OpenTelemetry import, so
 * that with tracing off (`noTracing`) no OpenTelemetry module is ever loaded.
 */
export interface Tracing {
  readonly enabled: boolean;
  /** BullMQ's `telemetry` option (bullmq-otel); undefined when off. */
  readonly bullmq: Telemetry | undefined;
  /** Runs `fn` in a child span of the active one; `fn` may add attributes as it learns them. */
  span<T>(
    name: string,
    attributes: SpanAttributes,
    fn: (annotate: (attributes: SpanAttributes) => void) => Promise<T>,
  ): Promise<T>;
  /** A span that already happened, from `startMs` until now (the wait in the queue). */
  pastSpan(name: string, startMs: number, attributes: SpanAttributes): void;
  /**
   * Marks the active trace as one job's: every span of it in this process, those that ended
   * already included, gets the job id (and batch id) attributes.
   */
  tagTrace(jobId: string | null, batchId: string | null): void;
  /**
   * Gives each job of a batch a trace of its own, linked to the active (submit) span. Returns,
   * per job, the BullMQ `telemetry.metadata` (W3C trace context) its queued job carries.
   */
  startJobTraces(jobIds: string[], batchId: string): { metadata: string[]; end(): void };
  /** `{ trace_id, span_id }` of the active span, for log lines; empty when none. */
  logIds(): { trace_id?: string; span_id?: string };
  /** Exports what is buffered; called on shutdown. */
  shutdown(): Promise<void>;
}

export const noTracing: Tracing = {
  enabled: false,
  bullmq: undefined,
  span: (_name, _attributes, fn) => fn(() => {}),
  pastSpan: () => {},
  tagTrace: () => {},
  startJobTraces: () => ({ metadata: [], end: () => {} }),
  logIds: () => ({}),
  shutdown: async () => {},
};

/**
 * Starts tracing when the configuration asks for it. The SDK is imported here, on demand:
 * unset `OTEL_*` variables cost nothing, not even loading it.
 */
export async function loadTracing(config: TracingConfig, defaultService: string): Promise<Tracing> {
  if (!config.enabled) return noTracing;
  const { startTracing } = await import('./otel.ts');
  return startTracing(config, defaultService);
}
