// SPDX-License-Identifier: Apache-2.0
// How the REST API answers the service core's refusals (ts/service/errors.ts): the one table of their HTTP
// statuses and error codes. The messages are the service's own.
import {
  InvalidStreamInputError, ModelNotLoadedError, ServiceError, ServiceStoppingError, StreamFailedError,
  StreamLimitError, UnknownStreamError,
} from '../service/errors';

type ServiceErrorClass = abstract new (...args: never[]) => ServiceError;

const ANSWERS: ReadonlyMap<ServiceErrorClass, { status: number; code: string }> = new Map<ServiceErrorClass,
  { status: number; code: string }>([
  [ModelNotLoadedError, { status: 503, code: 'model_not_loaded' }],
  [ServiceStoppingError, { status: 503, code: 'stopping' }],
  [UnknownStreamError, { status: 422, code: 'unknown_stream' }],
  [StreamLimitError, { status: 422, code: 'too_many_streams' }],
  [StreamFailedError, { status: 422, code: 'stream_failed' }],
  [InvalidStreamInputError, { status: 400, code: 'invalid_url' }],
]);

/** The answer to a service refusal, or null for any other error. */
export function serviceErrorAnswer(err: unknown): { status: number; code: string; message: string } | null {
  if (!(err instanceof ServiceError)) return null;
  const answer = ANSWERS.get(err.constructor as ServiceErrorClass);
  return answer === undefined ? null : { ...answer, message: err.message };
}
