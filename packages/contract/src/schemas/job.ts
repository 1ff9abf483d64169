import Type from 'typebox';
import { viewProperties } from '../records/codec.ts';
import { JOB_RECORD, StoredImage, StoredResult, Timestamp } from '../records/job.ts';
import { JobUsage } from '../usage.ts';

/**
 * The job as clients see it (contract: "A job"): the record's public fields as stored, its
 * result with a presigned URL per image, its usage and when its images expire.
 */
export const Job = Type.Object(
  {
    ...viewProperties(JOB_RECORD),
    result: Type.Union([
      Type.Object({
        ...StoredResult.properties,
        images: Type.Array(Type.Object({ url: Type.String(), ...StoredImage.properties })),
      }),
      Type.Null(),
    ]),
    usage: JobUsage,
    expires_at: Type.Union([Timestamp, Type.Null()], {
      description:
        'When the stored images may be gone (IMAGE_RETENTION_DAYS after the job finished); null when images are kept or there are none',
    }),
  },
  { $id: 'Job' },
);
export type Job = Type.Static<typeof Job>;
