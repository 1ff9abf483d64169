import type { ApiClient } from '../api-client.ts';
import type { Command } from '../args.ts';
import { EXIT } from '../errors.ts';
import { type Io, printJson, printLines } from '../io.ts';
import { describeBatch } from './report.ts';

type CancelCommand = Extract<Command, { name: 'cancel' }>;

/** Cancels a job, or every unfinished job of a batch; a finished job is the API's 409. */
export async function cancel(command: CancelCommand, client: ApiClient, io: Io): Promise<number> {
  if (command.id.startsWith('job_')) {
    const job = await client.cancelJob(command.id);
    if (command.json) printJson(io, job);
    else printLines(io, [`Canceled ${job.id} (now ${job.status}).`]);
    return EXIT.ok;
  }
  const batch = await client.cancelBatch(command.id);
  if (command.json) printJson(io, batch);
  else
    printLines(io, [
      `Cancel requested for every unfinished job of ${batch.id}.`,
      ...describeBatch(batch),
    ]);
  return EXIT.ok;
}
