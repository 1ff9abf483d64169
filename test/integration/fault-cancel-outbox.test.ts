import { describe, expect, it } from 'vitest';
import { serviceEnv, startApi, startWorker } from '../support/processes.ts';
import { testPrefix } from '../support/tracking.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const KEY = 'acme-outbox-key-1';

describe('fault: the API SIGKILLed between a cancel transition and its event', () => {
  it('the job.canceled webhook is still delivered (the transition wrote it to the outbox)', async () => {
    const receiver = await startReceiver();
    const env = {
      ...serviceEnv(testPrefix()),
      API_KEYS: `acme:${KEY}`,
      IMAGEN_API_KEY: 'unused-no-worker-runs-a-job',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '100ms,100ms',
    };
    // No worker yet: the job stays queued until it is canceled.
    const api = await startApi({ ...env, IMAGEN_QUEUE_FAULT_POINT: 'cancel-after-transition' });
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
    let api2: Awaited<ReturnType<typeof startApi>> | undefined;
    try {
      const created = await fetch(`${api.url}/v1/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ prompt: 'canceled before it ran', webhook_url: receiver.url }),
      });
      expect(created.status).toBe(202);
      const { id } = (await created.json()) as { id: string };

      const cancel = await fetch(`${api.url}/v1/jobs/${id}/cancel`, { method: 'POST', headers })
        .then((r) => r.status)
        .catch(() => 'no answer');
      expect(cancel).toBe('no answer');
      expect((await api.exited()).signal).toBe('SIGKILL');

      // A fresh API and a worker (which delivers webhooks); either may drain the outbox.
      api2 = await startApi(env);
      worker = await startWorker(env);
      const [delivery] = await receiver.waitFor(1, 60_000);
      expect(delivery!.json).toMatchObject({ type: 'job.canceled', data: { id } });
      const job = await fetch(`${api2.url}/v1/jobs/${id}`, { headers }).then((r) => r.json());
      expect(job).toMatchObject({ status: 'canceled' });
    } finally {
      await Promise.all([worker?.stop(), api2?.stop(), api.stop()]);
      await receiver.close();
    }
  });
});
