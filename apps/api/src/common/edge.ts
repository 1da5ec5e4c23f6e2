import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError, errors, type Status } from '@berth/core';
import { sendStatus } from './http';

/**
 * What Node's HTTP parser accepts for the request line and headers together: 1 MiB, Go's
 * `http.DefaultMaxHeaderBytes`, as kube-apiserver. Far above the limits the app applies
 * (16 KiB of URI, 64 KiB of headers), so that a long URI or header reaches the app, which
 * can tell them apart and answer 414 or 431; past it the parser's error is all there is.
 */
export const MAX_PARSER_BYTES = 1024 * 1024;
/** The largest request headers (names and values) served; larger ones answer 431. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** The longest request URI (path and query) served; longer ones answer 414. */
export const MAX_URI_BYTES = 16 * 1024;

const NUL = '\u0000';
const ENCODED_NUL = /%00/i;

/** The methods served (Node's parser knows more, e.g. PROPFIND or PURGE). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const METHOD_NOT_ALLOWED =
  'the request method is not supported: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS';

/**
 * The first check of every request, before anything reads it: the method (405) and the
 * URI's length (414).
 */
export function requestLineChecks(req: Request, res: Response, next: NextFunction): void {
  if (!METHODS.has(req.method))
    return sendStatus(res, errors.methodNotAllowed(METHOD_NOT_ALLOWED).toStatus());
  const bytes = Buffer.byteLength(req.url);
  if (bytes > MAX_URI_BYTES)
    return sendStatus(
      res,
      new ApiError(
        414,
        'RequestURITooLong',
        `the request URI is ${bytes} bytes long, over the limit of ${MAX_URI_BYTES} bytes: send long selectors in several requests`,
      ).toStatus(),
    );
  let headerBytes = 0;
  for (const part of req.rawHeaders) headerBytes += Buffer.byteLength(part) + 2;
  if (headerBytes > MAX_HEADER_BYTES)
    return sendStatus(
      res,
      new ApiError(
        431,
        'RequestHeaderFieldsTooLarge',
        `the request headers are ${headerBytes} bytes, over the limit of ${MAX_HEADER_BYTES} bytes`,
      ).toStatus(),
    );
  next();
}

/**
 * 400 for a NUL in the path, the query or a header, before authentication (PostgreSQL
 * stores no NUL, and no name, selector or token holds one). After the audit middleware,
 * so the attempt is on the trail. Bodies are checked where they are decoded.
 */
@Injectable()
export class NulCheckMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const url = req.originalUrl;
    if (ENCODED_NUL.test(url) || url.includes(NUL))
      return sendStatus(
        res,
        errors
          .badRequest(
            'the request URI holds a NUL character (%00): NUL is not allowed in a path or query',
          )
          .toStatus(),
      );
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i + 1].includes(NUL) || req.rawHeaders[i].includes(NUL))
        return sendStatus(
          res,
          errors
            .badRequest(
              `the request header "${req.rawHeaders[i].replaceAll(NUL, '')}" holds a NUL character: NUL is not allowed in a header`,
            )
            .toStatus(),
        );
    }
    next();
  }
}

/** The Status for an error of Node's HTTP parser (the request never reached the app). */
export function parserErrorStatus(err: NodeJS.ErrnoException & { rawPacket?: Buffer }): Status {
  switch (err.code) {
    case 'HPE_INVALID_METHOD':
      return errors.methodNotAllowed(METHOD_NOT_ALLOWED).toStatus();
    case 'HPE_HEADER_OVERFLOW': {
      // The URI is the long part when the request line is (or the limit was hit amid a line).
      const head = err.rawPacket?.toString('latin1') ?? '';
      const eol = head.indexOf('\r\n');
      if (/^[A-Za-z]+ /.test(head) ? eol < 0 || eol > MAX_URI_BYTES : eol < 0)
        return new ApiError(
          414,
          'RequestURITooLong',
          `the request URI is over the limit of ${MAX_URI_BYTES} bytes`,
        ).toStatus();
      return new ApiError(
        431,
        'RequestHeaderFieldsTooLarge',
        `the request line and headers are over the limit of ${MAX_PARSER_BYTES} bytes`,
      ).toStatus();
    }
    case 'HPE_URI_OVERFLOW':
      return new ApiError(
        414,
        'RequestURITooLong',
        `the request URI is over the limit of ${MAX_URI_BYTES} bytes`,
      ).toStatus();
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_HEADER_FIELDS_TOO_LARGE':
      return new ApiError(
        431,
        'RequestHeaderFieldsTooLarge',
        'the request headers are too large',
      ).toStatus();
    default:
      return errors
        .badRequest('the request is not valid HTTP/1.1 (it could not be parsed)')
        .toStatus();
  }
}

const PHRASES: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers what Node's HTTP parser refuses (unknown methods, oversized request lines,
 * malformed requests) with a Kubernetes Status instead of an empty response, then closes
 * the connection (the parser's state is lost).
 */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const status = parserErrorStatus(err);
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${PHRASES[status.code] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** Node HTTP(S) server options and handlers that let the app answer with Statuses. */
export const SERVER_OPTIONS: http.ServerOptions = { maxHeaderSize: MAX_PARSER_BYTES };

export function installClientErrorHandler(server: http.Server): void {
  server.on('clientError', onClientError);
}
