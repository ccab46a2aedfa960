// SPDX-License-Identifier: Apache-2.0
// The service core's domain errors: what a request to the running service can fail with, in words that say what
// to do. They know nothing of HTTP: ts/api/service-errors.ts alone maps each class to a status and a code.

/** A refusal of the service core; the message is meant for the client. */
export abstract class ServiceError extends Error {}

/** Prompts need the text encoder, which did not load (yet). */
export class ModelNotLoadedError extends ServiceError {
  override readonly name = 'ModelNotLoadedError';

  /** @param reason why it is not loaded ('starting', or the load's error). */
  constructor(reason: string) {
    super(`the model is not loaded: ${reason}`);
  }
}

/** No running stream has this id. */
export class UnknownStreamError extends ServiceError {
  override readonly name = 'UnknownStreamError';

  /** @param running the ids of the running streams, to name them. */
  constructor(id: string, running: readonly string[]) {
    const ids = running.filter((known) => known !== '');
    super(`Stream ID ${JSON.stringify(id.slice(0, 100))} does not exist; `
      + `${ids.length === 0 ? 'no stream is running' : `running: ${ids.join(', ')}`} (GET /api/v1/live-stream lists them)`);
  }
}

/** One more stream would exceed input.maxStreams or what the engine runs. */
export class StreamLimitError extends ServiceError {
  override readonly name = 'StreamLimitError';
}

/** A stream's input cannot be read as a video input. */
export class InvalidStreamInputError extends ServiceError {
  override readonly name = 'InvalidStreamInputError';
}

/** A stream added while the service runs could not connect or brought no video; it was removed again. */
export class StreamFailedError extends ServiceError {
  override readonly name = 'StreamFailedError';
}

/** The service is stopping: nothing new starts. */
export class ServiceStoppingError extends ServiceError {
  override readonly name = 'ServiceStoppingError';

  constructor() {
    super('the service is stopping');
  }
}
