// SPDX-License-Identifier: Apache-2.0
// VST's sensor management REST calls, as NVIDIA's mmj_utils (vst.py: add_rtsp_stream, remove_rtsp_stream,
// get_sensor_id, readd_rtsp_stream) and VST's API reference have them, relative to the VST base address:
//   POST   api/v1/sensor/add   {"sensorUrl","name","username","password","location"} -> {"sensorId": ...}
//          (400 with error_message "User given name is invalid or already exists" for a taken name)
//   GET    api/v1/sensor/list  -> [{"sensorId","name",...}]
//   DELETE api/v1/sensor/<sensorId>
// VST answers JSON, sometimes as text/plain: bodies are parsed whatever the Content-Type says.
import { redactUrl } from '../config/redact';
import { boundText, escapeControlChars } from '../config/safe-text';
import { VstError } from './errors';

/** One VST request's outcome: its status and parsed body (null when empty or not JSON). */
interface VstAnswer {
  status: number;
  body: unknown;
}

/** A sensor as VST lists it (the fields used here). */
export interface VstSensor {
  sensorId: string;
  name: string;
}

/** What VST answers for a name that is taken (mmj_utils' readd_rtsp_stream tests for this text). */
const NAME_TAKEN = /already exists/i;

/** The sensor calls of one VST; credentials in the base URL become Basic auth, as for discovery. */
export class VstSensors {
  readonly #base: URL;
  readonly #headers: Record<string, string> = { Accept: 'application/json' };
  readonly #timeoutMs: number;

  /** @param base VST address such as `http://host:81` (a path prefix such as `http://host:30080/vst` is kept). */
  constructor(base: string, timeoutMs: number) {
    const url = new URL(base);
    if (url.username !== '' || url.password !== '') {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.#headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.#base = url;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Adds an RTSP stream as a sensor; a taken name is freed first (its sensor removed), as mmj_utils'
   * readd_rtsp_stream does, since it is ours from an earlier run.
   * @returns VST's sensor id.
   * @throws {VstError} naming the call and VST's answer.
   */
  async add(sensor: { url: string; name: string; location: string }): Promise<string> {
    const body = { sensorUrl: sensor.url, name: sensor.name, username: '', password: '', location: sensor.location };
    let answer = await this.#call('POST', 'api/v1/sensor/add', body);
    if (answer.status === 400 && NAME_TAKEN.test(JSON.stringify(answer.body))) {
      const taken = (await this.list()).find((s) => s.name === sensor.name);
      if (taken !== undefined) await this.remove(taken.sensorId);
      answer = await this.#call('POST', 'api/v1/sensor/add', body);
    }
    const id = (answer.body as { sensorId?: unknown } | null)?.sensorId;
    if (answer.status >= 300 || typeof id !== 'string' || id === '') {
      throw this.#refused('POST api/v1/sensor/add', answer);
    }
    return id;
  }

  /** VST's sensors. @throws {VstError} */
  async list(): Promise<VstSensor[]> {
    const answer = await this.#call('GET', 'api/v1/sensor/list');
    if (answer.status >= 300 || !Array.isArray(answer.body)) throw this.#refused('GET api/v1/sensor/list', answer);
    return answer.body.flatMap((s: { sensorId?: unknown; name?: unknown }) =>
      (typeof s?.sensorId === 'string' ? [{ sensorId: s.sensorId, name: typeof s.name === 'string' ? s.name : '' }] : []));
  }

  /** Removes a sensor (an unknown one is not an error: it is gone either way). @throws {VstError} */
  async remove(sensorId: string): Promise<void> {
    const path = `api/v1/sensor/${encodeURIComponent(sensorId)}`;
    const answer = await this.#call('DELETE', path);
    if (answer.status >= 300 && answer.status !== 404) throw this.#refused(`DELETE ${path}`, answer);
  }

  async #call(method: string, path: string, body?: unknown): Promise<VstAnswer> {
    const target = new URL(path, this.#base);
    let response: Response;
    let text: string;
    try {
      response = await fetch(target, { method, signal: AbortSignal.timeout(this.#timeoutMs),
        headers: body === undefined ? this.#headers : { ...this.#headers, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body) });
      text = await response.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new VstError('unreachable', `VST at ${redactUrl(this.#base.href)} is unreachable for ${method} ${path}: ${cause}`,
        { cause: err });
    }
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch { /* not JSON: reported with the status */ }
    return { status: response.status, body: parsed };
  }

  #refused(call: string, answer: VstAnswer): VstError {
    // VST's words reach the log: escaped to one line and bounded.
    const said = answer.body === null ? 'nothing' : boundText(escapeControlChars(JSON.stringify(answer.body)), 200);
    return new VstError(answer.status >= 500 ? 'unreachable' : 'bad_response',
      `VST at ${redactUrl(this.#base.href)} refused ${call} (${answer.status}): ${said}`);
  }
}
