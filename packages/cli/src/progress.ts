import cliProgress from 'cli-progress';
import type { BatchCounts } from './api-types.ts';

export interface ProgressFigures {
  finished: number;
  total: number;
  /** Images made per minute since we started watching; null until a job has finished. */
  imagesPerMinute: number | null;
  /** Seconds until every job is finished at the current pace; null while unknown. */
  etaSeconds: number | null;
}

/** The pace of a batch from two observations: when we started watching and now. */
export function measureProgress(
  counts: BatchCounts,
  start: { at: number; finished: number },
  now: number,
  imagesPerJob: number,
): ProgressFigures {
  const finished = counts.succeeded + counts.failed + counts.canceled;
  const minutes = (now - start.at) / 60_000;
  const progressed = finished - start.finished;
  if (progressed <= 0 || minutes <= 0) {
    return { finished, total: counts.total, imagesPerMinute: null, etaSeconds: null };
  }
  const jobsPerMinute = progressed / minutes;
  return {
    finished,
    total: counts.total,
    imagesPerMinute: jobsPerMinute * imagesPerJob,
    etaSeconds: Math.round(((counts.total - finished) / jobsPerMinute) * 60),
  };
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function describeProgress(counts: BatchCounts, figures: ProgressFigures): string {
  const rate = figures.imagesPerMinute === null ? '--' : figures.imagesPerMinute.toFixed(1);
  return (
    `queued ${counts.queued} · running ${counts.running} · succeeded ${counts.succeeded} · ` +
    `failed ${counts.failed} · canceled ${counts.canceled} | ${rate} images/min | ` +
    `ETA ${formatDuration(figures.etaSeconds)}`
  );
}

export interface ProgressReporter {
  update(counts: BatchCounts): void;
  stop(): void;
}

/**
 * A live bar on a terminal; on a pipe or file, one plain line whenever the counts change, so
 * logs stay readable.
 */
export function createProgressReporter(
  stream: NodeJS.WriteStream,
  imagesPerJob: number,
  clock: () => number = Date.now,
): ProgressReporter {
  let start: { at: number; finished: number } | undefined;
  let lastCounts = '';
  const bar = stream.isTTY
    ? new cliProgress.SingleBar(
        {
          stream,
          format: '{bar} {value}/{total} jobs | {details}',
          hideCursor: true,
          clearOnComplete: false,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;

  return {
    update(counts) {
      const now = clock();
      const finished = counts.succeeded + counts.failed + counts.canceled;
      start ??= { at: now, finished };
      const figures = measureProgress(counts, start, now, imagesPerJob);
      const details = describeProgress(counts, figures);
      if (bar) {
        if (!bar.isActive) bar.start(counts.total, finished, { details });
        bar.setTotal(counts.total);
        bar.update(finished, { details });
      } else {
        const key = JSON.stringify(counts);
        if (key !== lastCounts) stream.write(`${finished}/${counts.total} jobs | ${details}\n`);
        lastCounts = key;
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
