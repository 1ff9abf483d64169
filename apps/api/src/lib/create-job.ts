import {
  type GenerationParams,
  type JobControl,
  type JobRecord,
  newId,
} from '@imagen-queue/shared';
import type { FastifyInstance } from 'fastify';
import { enqueueAll } from './enqueue.ts';

export interface JobSpec {
  tenant: string;
  request: GenerationParams;
  metadata: Record<string, unknown>;
  webhookUrl: string | null;
  priority: number;
  requestId: string;
  control?: JobControl;
}

/** Writes one job's record and queues it; a job that could not be queued leaves no record. */
export async function createJob(fastify: FastifyInstance, spec: JobSpec): Promise<JobRecord> {
  const record = await fastify.jobStore.create({
    id: newId('job'),
    tenant: spec.tenant,
    batchId: null,
    request: spec.request,
    metadata: spec.metadata,
    webhookUrl: spec.webhookUrl,
    priority: spec.priority,
    ...(spec.control ? { control: spec.control } : {}),
  });
  // Before the enqueue: an id whose job is then rolled back is dropped by the list's reader.
  await fastify.listIndex.add(record.tenant, 'jobs', [record.id]);
  try {
    await enqueueAll(
      fastify.queues.generation,
      fastify.config,
      [record],
      spec.requestId,
      fastify.tracing,
    );
  } catch (error) {
    await fastify.jobStore.remove(record.tenant, record.id).catch(() => {});
    throw error;
  }
  return record;
}
