import type { ApiClient } from '../api-client.ts';
import type { Batch, Job } from '../api-types.ts';
import type { DownloadSummary } from '../download/download-batch.ts';

/** Human lines for a batch's counts. */
export function describeBatch(batch: Batch): string[] {
  const { total, queued, running, succeeded, failed, canceled } = batch.counts;
  return [
    `${batch.id}  ${batch.status}`,
    `  jobs       ${total} total: ${queued} queued, ${running} running, ${succeeded} succeeded, ${failed} failed, ${canceled} canceled`,
    `  created    ${batch.created_at}`,
    ...(batch.finished_at ? [`  finished   ${batch.finished_at}`] : []),
  ];
}

/** Human lines for one job, including its image URLs or its error. */
export function describeJob(job: Job): string[] {
  const lines = [
    `${job.id}  ${job.status}${job.batch_id ? `  (batch ${job.batch_id})` : ''}`,
    `  prompt     ${job.request.prompt}`,
  ];
  if (job.result?.enhanced_prompt) lines.push(`  enhanced   ${job.result.enhanced_prompt}`);
  lines.push(
    `  model      ${job.request.model}, ${job.request.aspect_ratio}, seed ${job.request.seed ?? 'random'}`,
    `  attempts   ${job.attempts}`,
    `  created    ${job.created_at}`,
  );
  if (job.finished_at) lines.push(`  finished   ${job.finished_at}`);
  for (const [n, image] of (job.result?.images ?? []).entries()) {
    lines.push(`  image ${n}    ${image.width}x${image.height} ${image.url}`);
  }
  if (job.error) lines.push(`  error      ${job.error.code}: ${job.error.message}`);
  return lines;
}

/** The first few failed jobs of a batch, so the user sees why without another command. */
export async function describeFailures(
  client: ApiClient,
  batch: Batch,
  limit = 5,
): Promise<string[]> {
  const lines: string[] = [];
  if (batch.counts.failed > 0) {
    const page = await client.listBatchJobs(batch.id, { status: 'failed', limit });
    lines.push(`${batch.counts.failed} failed:`);
    for (const job of page.data) {
      lines.push(`  ${job.id} "${job.request.prompt}": ${job.error?.message ?? 'failed'}`);
    }
    if (batch.counts.failed > page.data.length) lines.push('  …');
  }
  if (batch.counts.canceled > 0) lines.push(`${batch.counts.canceled} canceled.`);
  return lines;
}

export function describeDownload(summary: DownloadSummary): string[] {
  const downloaded = summary.files.filter((file) => file.status === 'downloaded').length;
  const skipped = summary.files.length - downloaded;
  const lines = [
    `Downloaded ${downloaded} image${downloaded === 1 ? '' : 's'} to ${summary.out}` +
      (skipped ? ` (${skipped} already there)` : '') +
      '.',
    `Gallery: ${summary.gallery}`,
  ];
  if (summary.without_images.length > 0) {
    lines.push(
      `${summary.without_images.length} job(s) have no images (failed, canceled or unfinished).`,
    );
  }
  for (const error of summary.errors)
    lines.push(`could not download ${error.file}: ${error.message}`);
  if (summary.errors.length > 0) lines.push('Run the same command again to retry them.');
  return lines;
}
