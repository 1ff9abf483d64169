import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Webhook } from 'standardwebhooks';

export { Webhook };

/** One request the receiver got. */
export interface ReceivedDelivery {
  /** 1-based, in arrival order. */
  n: number;
  /** `performance.now()` once the body was read, before answering (the bench's latency end). */
  receivedAt: number;
  id: string;
  timestamp: string;
  signature: string;
  headers: Record<string, string>;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> & { id: string } };
}

/** What to do with the n-th request; `undefined` answers 200. */
export type Respond = (
  delivery: ReceivedDelivery,
  res: ServerResponse,
  req: IncomingMessage,
) => void | Promise<void>;

/** A real HTTP receiver on 127.0.0.1 that records every delivery. */
export async function startReceiver(respond?: Respond) {
  const received: ReceivedDelivery[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    let json: ReceivedDelivery['json'];
    try {
      json = JSON.parse(body);
    } catch {
      json = { type: '', timestamp: '', data: { id: '' } };
    }
    const delivery: ReceivedDelivery = {
      n: received.length + 1,
      receivedAt: performance.now(),
      id: headers['webhook-id'] ?? '',
      timestamp: headers['webhook-timestamp'] ?? '',
      signature: headers['webhook-signature'] ?? '',
      headers,
      body,
      json,
    };
    received.push(delivery);
    for (const waiter of waiters) waiter();
    if (respond) await respond(delivery, res, req);
    else res.writeHead(200).end('ok');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    /** Resolves once `count` requests have arrived. */
    waitFor(count: number, timeoutMs = 30_000): Promise<ReceivedDelivery[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(received.slice());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver got ${received.length} of ${count} deliveries in time`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    /** Verifies a delivery as a receiver would, with `standardwebhooks`' `Webhook.verify`. */
    verify(delivery: ReceivedDelivery, secret: string): unknown {
      return new Webhook(secret).verify(delivery.body, {
        'webhook-id': delivery.id,
        'webhook-timestamp': delivery.timestamp,
        'webhook-signature': delivery.signature,
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
