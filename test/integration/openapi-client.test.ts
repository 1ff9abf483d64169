import { readFileSync } from 'node:fs';
import { createQueueClient } from '@imagen-queue/openapi-client';
import { renderTypes } from '@imagen-queue/openapi-client/render';
import { describe, expect, it } from 'vitest';

import { liveDocument } from '../support/openapi-document.ts';
import { waitUntil } from '../support/processes.ts';
import { startStack, TEST_KEY } from '../support/stack.ts';
import { testPrefix } from '../support/tracking.ts';

const TYPES_FILE = new URL('../../packages/openapi-client/src/openapi.d.ts', import.meta.url);

describe('a client typed from the OpenAPI document', () => {
  it('has its types up to date with the live document (else: pnpm openapi:types)', async () => {
    expect(await renderTypes(await liveDocument())).toBe(readFileSync(TYPES_FILE, 'utf8'));
  });

  it('drives one job end to end with openapi-fetch', async () => {
    const stack = await startStack({
      prefix: testPrefix(),
      emulatorEnv: { EMULATOR_LATENCY_MS: '20' },
    });
    try {
      const client = createQueueClient(stack.api.url, TEST_KEY);
      const created = await client.POST('/v1/jobs', {
        body: { prompt: 'a typed client', seed: 7, aspect_ratio: '16:9' },
      });
      expect(created.response.status, JSON.stringify(created.error)).toBe(202);
      const id = created.data!.id;
      let job = created.data!;
      await waitUntil(
        async () => {
          const read = await client.GET('/v1/jobs/{id}', { params: { path: { id } } });
          job = read.data!;
          return job.status === 'succeeded' || job.status === 'failed';
        },
        60_000,
        'the job to finish',
      );
      expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
      expect(job.result?.images[0]).toMatchObject({
        mime_type: 'image/png',
        width: 1408,
        height: 768,
      });
      const missing = await client.GET('/v1/jobs/{id}', {
        params: { path: { id: 'job_00000000000000000000000000' } },
      });
      expect(missing.response.status).toBe(404);
      expect(missing.error).toMatchObject({ status: 404, title: 'Not Found' });
    } finally {
      await stack.stop();
    }
  });
});
