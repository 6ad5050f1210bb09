import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toHttpError } from '../errors.js';

// Answers Fastify and Node give before any route runs — a URL that cannot be decoded, a path
// parameter past its length limit, a request line or headers the HTTP parser refuses — in the
// same error envelope as every other error.

/** Fastify's `frameworkErrors`: a bad URL (400) or an over-long path parameter (414). */
export function frameworkErrors(err: { code?: string; message: string }, _req: FastifyRequest, reply: FastifyReply): void {
  const mapped =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? toHttpError(new AppError('uri_too_long', 'A path parameter of the URL is too long; ids are at most 100 characters.'))
      : toHttpError(new AppError('invalid_request', `The URL could not be read (${err.code === 'FST_ERR_BAD_URL' ? 'bad percent-encoding' : err.message}). Encode it as RFC 3986 says.`));
  void reply.status(mapped.status).send(mapped.body);
}

/** Fastify's `clientErrorHandler`: what Node's HTTP parser refused, written to the socket. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let message = 'The request could not be parsed as HTTP.';
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    message = 'The request line or headers are too large (a URL this long is not accepted).';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    message = 'The request took too long to arrive.';
  }
  const body = JSON.stringify({ error: { type: 'invalid_request_error', code: 'invalid_request', message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
