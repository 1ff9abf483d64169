import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface OpenRequest {
  /** Aborted when the client goes away or the server starts closing. */
  signal: AbortSignal;
  /** Call when the request is answered. */
  release(): void;
  /** The server is closing: answer with `Connection: close`, or the idle keep-alive holds it. */
  readonly closing: boolean;
}

/**
 * Long-lived requests (SSE streams, `Prefer: wait`) that end when the server closes: Fastify's
 * close waits for every open connection, so without this one watching client would hold a
 * stopping API until it is killed.
 */
export function trackOpenRequests(
  fastify: FastifyInstance,
): (request: FastifyRequest) => OpenRequest {
  const open = new Set<AbortController>();
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
    for (const controller of open) controller.abort();
  });
  return (request) => {
    const controller = new AbortController();
    const abort = () => controller.abort();
    open.add(controller);
    // The socket, not the request: a request emits 'close' once its body has been read.
    const socket = request.socket;
    socket.on('close', abort);
    // The client may have gone before the listener was attached, or the server begun closing
    // while this request was on its way here (preClose has already aborted the others).
    if (socket.destroyed || closing) abort();
    return {
      signal: controller.signal,
      release() {
        open.delete(controller);
        socket.off('close', abort);
      },
      get closing() {
        return closing;
      },
    };
  };
}
