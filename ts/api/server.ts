// SPDX-License-Identifier: Apache-2.0
// The HTTP server around the Koa app: bind errors in plain words, bounded request times, clean shutdown.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorBody } from './errors';

/** The REST API could not bind its address. */
export class ApiListenError extends Error {
  override readonly name = 'ApiListenError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

// A client gets this long to send its request: slow or stalled clients cannot hold sockets for minutes.
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** The REST API's HTTP server. */
export class ApiServer {
  readonly #server: http.Server;

  /** @param handler the request listener (a Koa app's `callback()`). */
  constructor(handler: http.RequestListener) {
    this.#server = http.createServer(
      { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, handler);
    this.#server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.#server.on('clientError', answerClientError);
  }

  /**
   * Starts listening.
   * @param port 0 for any free port.
   * @returns the bound address.
   * @throws {ApiListenError} (rejects) naming host:port, e.g. code `EADDRINUSE` when the port is taken.
   */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.#server.off('listening', onListening);
        reject(listenError(err, host, port));
      };
      const onListening = () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as AddressInfo);
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen(port, host);
    });
  }

  /** The bound address, or null before listen(). */
  address(): AddressInfo | null {
    const address = this.#server.address();
    return typeof address === 'object' ? address : null;
  }

  /** Stops accepting connections, closes open ones and resolves when the server is down. Idempotent. */
  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

// Requests Node's parser refuses (broken request line, bad framing, huge headers, too slow) never reach Koa;
// answer them in the API's JSON error shape too, as Node's default handler would, but with a reason.
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const [status, code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'headers_too_large', 'request headers are too large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', `request not received within ${REQUEST_TIMEOUT_MS} ms`]
      : [400, 'bad_request', `malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): ApiListenError {
  const where = `${host}:${port}`;
  const fix = 'choose another with api.port, --flask_port or OWL_API_PORT';
  switch (err.code) {
    case 'EADDRINUSE':
      return new ApiListenError(err.code, `REST API cannot listen on ${where}: the port is already in use `
        + `(EADDRINUSE); stop the other process or ${fix}`);
    case 'EACCES':
      return new ApiListenError(err.code, `REST API cannot listen on ${where}: permission denied (EACCES); `
        + `ports below 1024 need privileges, ${fix}`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ApiListenError(err.code, `REST API cannot listen on ${where}: no such address on this machine `
        + `(${err.code}); set api.host, --api_host or OWL_API_HOST`);
    default:
      return new ApiListenError(err.code ?? 'UNKNOWN', `REST API cannot listen on ${where}: ${err.message}`);
  }
}
