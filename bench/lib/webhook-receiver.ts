import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  receivedAt: number;
  /** `webhook-id` header: the same on every retry of one event. */
  id: string;
  body: { type?: string; data?: { id?: string; request?: { prompt?: string } } };
}

/** A local endpoint that answers every webhook 204 and remembers what arrived, and when. */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const receivedAt = performance.now();
      response.writeHead(204).end();
      try {
        received.push({
          receivedAt,
          id: String(request.headers['webhook-id'] ?? ''),
          body: JSON.parse(Buffer.concat(chunks).toString()) as ReceivedWebhook['body'],
        });
      } catch {
        // Not JSON: not one of ours.
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
