// SPDX-License-Identifier: Apache-2.0
// Redis as the DeepStream engine writes it. nvmsgbroker, inside the pipeline, holds the connection, not this
// process, so the state reported is what the pipeline tells about it: nvmsgbroker connects when the pipeline
// starts (a failed connection fails the start) and a failed send is an error of the element "broker", which
// tears the pipeline down. Hence: `connecting` until the pipeline plays, `ready` while it plays, `reconnecting`
// while it is rebuilt, and `down` with the broker's message after an error of the broker (until it plays again)
// or once no pipeline runs. A Redis outage that nvmsgbroker does not report as an error is not seen here.
import type { RedisState } from '../api/service';
import type { NativePipelineState } from '../native';

/** The Redis state of the DeepStream engine; see the file comment. */
export class BrokerStatus {
  #state: RedisState = 'connecting';
  #error: string | null = null;

  /** The state and the broker's last error message, or null when it reported none. */
  status(): { state: RedisState; error: string | null } {
    return { state: this.#state, error: this.#error };
  }

  /** A state of the pipeline that holds the broker. */
  pipelineState(state: NativePipelineState): void {
    if (state === 'playing' || state === 'reconnected') this.#state = 'ready';
    else if (state === 'stopped') this.#state = 'down';
    else if (state === 'lost' && this.#state !== 'down') this.#state = 'reconnecting';
  }

  /** An error event of the element "broker" (nvmsgbroker). */
  brokerError(message: string): void {
    this.#state = 'down';
    this.#error = message;
  }
}
