import {
  type GenerationParams,
  type JobControl,
  type JobRecord,
  newId,
  newJobRecord,
} from '@imagen-queue/contract';
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

/**
 * Writes one job's record and queues it; a job that could not be queued leaves no record. Two
 * round trips: the fair-share reservation, then one pipeline carrying the record, its list
 * entry and BullMQ's add, in that order (so the record exists before its job is queued, and an
 * id whose job is then rolled back is dropped by the list's reader).
 */
export async function createJob(fastify: FastifyInstance, spec: JobSpec): Promise<JobRecord> {
  const record = newJobRecord({
    id: newId('job'),
    tenant: spec.tenant,
    batchId: null,
    request: spec.request,
    metadata: spec.metadata,
    webhookUrl: spec.webhookUrl,
    priority: spec.priority,
    ...(spec.control ? { control: spec.control } : {}),
  });
  try {
    await enqueueAll(
      fastify.queues.generation,
      fastify.config,
      [record],
      spec.requestId,
      fastify.tracing,
      (pipeline) => {
        fastify.jobStore.stageCreate(pipeline, record);
        fastify.listIndex.stageAdd(pipeline, record.tenant, 'jobs', [record.id]);
      },
    );
  } catch (error) {
    await fastify.jobStore.remove(record.tenant, record.id).catch(() => {});
    throw error;
  }
  return record;
}
