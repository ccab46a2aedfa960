// SPDX-License-Identifier: Apache-2.0
// The metadata outputs as the DeepStream engine writes them: each output that is on (Redis, MQTT, Kafka) is one
// nvmsgconv -> nvmsgbroker branch of the shared pipeline (ts/deepstream/pipeline-description.ts), and nvmsgbroker,
// not this process, holds its connection. So the state reported is what the pipeline tells about it: nvmsgbroker
// connects when the pipeline starts (a failed connection fails the start) and a failed send or conversion is an
// error of the branch's element (`broker`/`msgconv` for Redis, `broker-mqtt`/`msgconv-mqtt`,
// `broker-kafka`/`msgconv-kafka`), which rebuilds the pipeline. Hence, per output: `connecting` until the pipeline
// plays, `ready` while it plays, `reconnecting` while it is rebuilt, and `down` with the element's message after
// an error of its branch (until the pipeline plays again) or once no pipeline runs; `off` when turned off. An
// outage that nvmsgbroker does not report as an error is not seen here.
import type { OutputState } from '../api/service';
import type { NativePipelineState } from '../native';

/** The DeepStream engine's metadata outputs (config sections). */
export type BrokerOutput = 'redis' | 'mqtt' | 'kafka';


// The suffix of each output's element names (BrokerBranch.name): '' gives `msgconv` and `broker`.
const BRANCH_SUFFIX: Record<BrokerOutput, string> = { redis: '', mqtt: '-mqtt', kafka: '-kafka' };

/** The element names of an output's branch. */
export function brokerElements(output: BrokerOutput): [converter: string, broker: string] {
  return [`msgconv${BRANCH_SUFFIX[output]}`, `broker${BRANCH_SUFFIX[output]}`];
}

/** The state of each metadata output of the DeepStream engine; see the file comment. */
export class BrokerStatus {
  readonly #outputs = new Map<BrokerOutput, { state: OutputState; error: string | null }>();

  /** @param enabled the outputs that are on (each one's `enabled`); the others are `off` for good. */
  constructor(enabled: Record<BrokerOutput, boolean>) {
    for (const output of Object.keys(enabled) as BrokerOutput[]) {
      this.#outputs.set(output, { state: enabled[output] ? 'connecting' : 'off', error: null });
    }
  }

  /** An output's state and its branch's last error message, or null when it reported none. */
  status(output: BrokerOutput): { state: OutputState; error: string | null } {
    return { ...(this.#outputs.get(output) ?? { state: 'off', error: null }) };
  }

  /** A state of the pipeline that holds every output's branch. */
  pipelineState(state: NativePipelineState): void {
    for (const output of this.#outputs.values()) {
      if (output.state === 'off') continue;
      if (state === 'playing' || state === 'reconnected') output.state = 'ready';
      else if (state === 'stopped') output.state = 'down';
      else if (state === 'lost' && output.state !== 'down') output.state = 'reconnecting';
    }
  }

  /**
   * An error event of the pipeline's element `source`: when it is an output's converter or broker, that output is
   * `down` with the message.
   * @returns the output it was, or null for another element.
   */
  elementError(source: string, message: string): BrokerOutput | null {
    for (const [name, output] of this.#outputs) {
      if (output.state === 'off' || !brokerElements(name).includes(source)) continue;
      output.state = 'down';
      output.error = message;
      return name;
    }
    return null;
  }
}
