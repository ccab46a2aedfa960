// SPDX-License-Identifier: Apache-2.0
// The REST layer's error: an HTTP status, a stable machine-readable code and a message saying what to fix.
// Every error response has the body `{ "error": { "code", "message" } }`.

/** An error answered to the client as `{error: {code, message}}` with `status`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** Koa's convention: the message is meant for the client. */
  readonly expose = true;
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** Builds the error body. */
export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
