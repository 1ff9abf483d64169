import { redisKeys } from '@imagen-queue/contract';
import type { RedisClient } from './redis.ts';

/**
 * The cancel channel: the API, having marked running jobs canceled in their records, tells the
 * workers running them to abort. Pub/sub may drop a message; the record is canceled already
 * then, and the attempt's own transitions will not apply, so nothing is stored as a result.
 */
export async function publishCancels(
  redis: RedisClient,
  prefix: string,
  jobIds: string[],
): Promise<void> {
  const channel = redisKeys(prefix).cancelChannel();
  await Promise.all(jobIds.map((jobId) => redis.publish(channel, JSON.stringify({ jobId }))));
}

/**
 * Calls `onCancel` with each job id published; `subscriber` is a connection of its own (one in
 * subscriber mode takes no other command). Resolves once subscribed, to the unsubscriber.
 */
export async function subscribeCancels(
  subscriber: RedisClient,
  prefix: string,
  onCancel: (jobId: string) => void,
  onBadMessage: (error: unknown) => void,
): Promise<() => Promise<void>> {
  const channel = redisKeys(prefix).cancelChannel();
  subscriber.on('message', (received: string, message: string) => {
    if (received !== channel) return;
    try {
      onCancel((JSON.parse(message) as { jobId: string }).jobId);
    } catch (error) {
      onBadMessage(error);
    }
  });
  await subscriber.subscribe(channel);
  return async () => {
    await subscriber.unsubscribe(channel);
  };
}
