/** Where the contract says an image lives: `{tenant}/{batch_id or "single"}/{job_id}/{index}.png`. */
export function imageKey(tenant: string, batchId: string | null, jobId: string, index: number) {
  return `${tenant}/${batchId ?? 'single'}/${jobId}/${index}.png`;
}

/**
 * When a job's images may be gone: `IMAGE_RETENTION_DAYS` after the job finished (S3 deletes
 * them at the first midnight UTC after their own creation + the days, which is no earlier).
 * Null when images are kept or the job has none.
 */
export function imagesExpireAt(
  finishedAt: string | null,
  retentionDays: number | null | undefined,
): string | null {
  if (!retentionDays || !finishedAt) return null;
  return new Date(Date.parse(finishedAt) + retentionDays * 86_400_000).toISOString();
}
