import type { JobName, JobPayload } from '@imagen-queue/contract';
import { generateImages, type ProcessorContext } from './generate-images.ts';

export type Processor<N extends JobName> = (
  payload: JobPayload<N>,
  ctx: ProcessorContext,
) => Promise<void>;

/** Every job name of the catalogue has a processor; a missing one fails to compile. */
export const processors: { [N in JobName]: Processor<N> } = {
  'generate-images': generateImages,
};
