import type { ApiClient } from '../api-client.ts';
import type { Command } from '../args.ts';
import { EXIT } from '../errors.ts';
import { type Io, printJson, printLines } from '../io.ts';
import { batchSucceeded, isBatchFinished } from '../watch-batch.ts';
import { describeBatch, describeFailures, describeJob } from './report.ts';

type StatusCommand = Extract<Command, { name: 'status' }>;

/** Shows a job or a batch; exits 1 when it has failed or been canceled. */
export async function status(command: StatusCommand, client: ApiClient, io: Io): Promise<number> {
  if (command.id.startsWith('job_')) {
    const job = await client.getJob(command.id);
    if (command.json) printJson(io, job);
    else printLines(io, describeJob(job));
    return job.status === 'failed' || job.status === 'canceled' ? EXIT.failure : EXIT.ok;
  }
  const batch = await client.getBatch(command.id);
  const failed = batch.counts.failed + batch.counts.canceled > 0;
  if (command.json) printJson(io, batch);
  else {
    printLines(io, [
      ...describeBatch(batch),
      ...(failed ? await describeFailures(client, batch) : []),
      ...(isBatchFinished(batch) && batch.counts.succeeded > 0
        ? [`Download it with: pnpm cli download ${batch.id} --out DIR`]
        : []),
    ]);
  }
  return failed || (isBatchFinished(batch) && !batchSucceeded(batch)) ? EXIT.failure : EXIT.ok;
}
