import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

const PROBLEM = 'application/problem+json';

function problem(status: number, title: string, detail: string) {
  return { type: 'about:blank', title, status, detail };
}

/**
 * Fastify's errors raised before routing (a URL that is not valid percent-encoded UTF-8, an
 * async constraint failing) bypass `setErrorHandler`; this answers them as problems too. The
 * detail never echoes the URL: its query string may carry a webhook URL's token.
 */
export function frameworkErrors(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error.code === 'FST_ERR_BAD_URL') {
    return reply
      .code(400)
      .type(PROBLEM)
      .send(problem(400, 'Bad Request', 'the request URL is not valid percent-encoded UTF-8'));
  }
  const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 400;
  return reply
    .code(status)
    .type(PROBLEM)
    .send(problem(status, 'Bad Request', error.message));
}

/**
 * A request Node's HTTP parser cannot read (bad header, bad chunking) never reaches Fastify;
 * Node would answer a bare `400 Bad Request`. This one answers in the API's one error format.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
  if (!socket.writable) return socket.destroy();
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(
    problem(
      status,
      tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
      tooLarge ? 'the request headers are too large' : 'the request could not be parsed as HTTP',
    ),
  );
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: ${PROBLEM}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}
