import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through in front of the emulator that notes when each generation's answer has been
 * handed to the worker, keyed by prompt: the start of the webhook-latency clock, on the
 * same clock as the webhook receiver's.
 */
export async function startProviderProxy(target: string) {
  const answeredAt = new Map<string, number>();
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let prompt: string | null = null;
      try {
        prompt = (JSON.parse(body.toString()) as { prompt?: string }).prompt ?? null;
      } catch {
        // Not a generation.
      }
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          res.on('finish', () => {
            if (prompt !== null && answer.statusCode === 201)
              answeredAt.set(prompt, performance.now());
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answeredAt,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
