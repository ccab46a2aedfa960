// SPDX-License-Identifier: Apache-2.0
// `vst.registerOutput`: each stream's annotated video is added to VST as a sensor once the service serves it, so it
// shows up where the operators watch their cameras, and removed when the stream stops (the step the seed app left
// commented out). VST must reach the RTSP output: a wildcard bind address (rtsp://0.0.0.0:6000/out) is replaced by
// `vst.outputHost`. VST being away is a warning, never a stream failure: the video is served either way.
import { redactUrl } from '../config/redact';
import type { Logger } from '../service/logger';
import type { VstSensors } from './sensors';

/** The stream as registration needs it. */
export interface RegisteredStream {
  /** Internal key, unique for the service's life. */
  key: string;
  /** Stream id (names the sensor: `owl-<id>`). */
  id: string;
  /** Its RTSP output as served, or null (output off). */
  outputUrl: string | null;
  location: string;
}

/** Registers each stream's output with VST; see the file comment. */
export class VstOutputRegistration {
  readonly #sensors: VstSensors;
  readonly #outputHost: string;
  readonly #log: Logger;
  // Stream key -> VST's sensor id (a pending registration's promise until VST answered).
  readonly #registered = new Map<string, Promise<string | null>>();
  // Removals under way, so that a stopping service can wait for them (bounded).
  readonly #removals = new Set<Promise<void>>();

  /** @param outputHost the host VST reaches this machine's RTSP server at. */
  constructor(sensors: VstSensors, outputHost: string, log: Logger) {
    this.#sensors = sensors;
    this.#outputHost = outputHost;
    this.#log = log;
  }

  /** The sensor name of a stream's output in VST. */
  static sensorName(streamId: string): string {
    return `owl-${streamId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }

  /** The output URL VST is given: a wildcard bind address becomes the output host. */
  reachableUrl(outputUrl: string): string {
    const url = new URL(outputUrl);
    if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = this.#outputHost;
    return url.href;
  }

  /** Adds the stream's output to VST (in the background; the outcome is logged). */
  register(stream: RegisteredStream): void {
    if (stream.outputUrl === null || this.#registered.has(stream.key)) return;
    const url = this.reachableUrl(stream.outputUrl);
    const name = VstOutputRegistration.sensorName(stream.id);
    this.#registered.set(stream.key, this.#sensors.add({ url, name, location: stream.location }).then((id) => {
      this.#log.info(`annotated video ${redactUrl(url)} added to VST as sensor "${name}" (${id})`);
      return id;
    }, (err: Error) => {
      this.#log.warn(`annotated video not added to VST: ${err.message}`);
      return null;
    }));
  }

  /** Removes the stream's output from VST, in the background (failures are logged); see settled(). */
  unregister(stream: { key: string }): void {
    const pending = this.#registered.get(stream.key);
    if (pending === undefined) return;
    this.#registered.delete(stream.key);
    const removal = this.#remove(pending);
    this.#removals.add(removal);
    void removal.finally(() => this.#removals.delete(removal));
  }

  /** Resolves once every removal under way has had VST's answer. */
  async settled(): Promise<void> {
    await Promise.all([...this.#removals]);
  }

  async #remove(pending: Promise<string | null>): Promise<void> {
    const id = await pending;
    if (id === null) return;
    try {
      await this.#sensors.remove(id);
      this.#log.info(`sensor ${id} removed from VST`);
    } catch (err) {
      this.#log.warn(`sensor ${id} not removed from VST: ${(err as Error).message}`);
    }
  }
}
