// SPDX-License-Identifier: Apache-2.0
// A STAND-IN for NVIDIA VST (Video Storage Toolkit), which cannot run here: a loopback HTTP server that
// answers `GET .../api/v1/live/streams` with the documented shape
// `[ { "<streamId>": [ {isMain, url, name, ...}, ... ] }, ... ]`, or with whatever a test scripts, and keeps
// sensors as VST's sensor calls do (POST api/v1/sensor/add -> {sensorId}, 400 "User given name is invalid or
// already exists" for a taken name, GET api/v1/sensor/list, DELETE api/v1/sensor/<id>), recording every call.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer. */
export interface StandInAnswer {
  status: number;
  /** Sent as JSON unless it is a string (sent as is). */
  body: unknown;
}

/** What the stand-in saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  /** The request body, parsed as JSON where it is ('' when none). */
  body: unknown;
}

/** A VST main/sub stream entry as VST lists it. */
export function vstEntry(streamId: string, name: string, mainUrl: string): Record<string, unknown[]> {
  return {
    [streamId]: [
      { isMain: true, name, url: mainUrl, streamId, metadata: { codec: 'h264' } },
      { isMain: false, name: `${name} (sub)`, url: `${mainUrl}_sub`, streamId },
    ],
  };
}

/** The stand-in VST server. */
export class VstStandIn {
  readonly requests: SeenRequest[] = [];
  /** Sensors added through the sensor calls: id -> what was added. */
  readonly sensors = new Map<string, { sensorUrl: string; name: string; location: string }>();
  #nextSensor = 1;
  #server: http.Server | null = null;

  /**
   * @param answer the answer to each live-streams request (called per request, so it can change over time);
   *   `null` leaves the request hanging (a VST that accepts connections but never answers).
   */
  constructor(private readonly answer: (requestNumber: number) => StandInAnswer | null) {}

  /** Starts on 127.0.0.1 (port 0 = any free port); resolves with the base URL `http://127.0.0.1:<port>`. */
  async start(port = 0): Promise<string> {
    const server = http.createServer(async (req, res) => {
      let text = '';
      for await (const chunk of req) text += chunk;
      let body: unknown = text;
      try {
        body = text === '' ? '' : JSON.parse(text);
      } catch { /* kept as text */ }
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      if (/\/api\/v1\/sensor\//.test(req.url ?? '')) {
        this.#sensorCall(req.method ?? '', req.url ?? '', body, res);
        return;
      }
      if (req.method !== 'GET' || !(req.url ?? '').endsWith('/api/v1/live/streams')) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const answer = this.answer(this.requests.length);
      if (answer === null) return;
      const reply = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(reply);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  // VST answers JSON as text/plain (its API reference says so): the client must not rely on the Content-Type.
  #sensorCall(method: string, url: string, body: unknown, res: http.ServerResponse): void {
    const answer = (status: number, value: unknown) =>
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(JSON.stringify(value));
    const id = /\/api\/v1\/sensor\/([^/?]+)$/.exec(url)?.[1];
    if (method === 'POST' && id === 'add') {
      const sensor = body as { sensorUrl: string; name: string; location: string; username?: unknown; password?: unknown };
      if (typeof sensor.username !== 'string' || typeof sensor.password !== 'string') {
        answer(400, { error_code: 'VMSInvalidParameter', error_message: 'username and password are required' });
      } else if ([...this.sensors.values()].some((s) => s.name === sensor.name)) {
        answer(400, { error_code: 'VMSInvalidParameter', error_message: 'User given name is invalid or already exists' });
      } else {
        const sensorId = `sensor-${this.#nextSensor++}`;
        this.sensors.set(sensorId, { sensorUrl: sensor.sensorUrl, name: sensor.name, location: sensor.location });
        answer(200, { sensorId });
      }
    } else if (method === 'GET' && id === 'list') {
      answer(200, [...this.sensors].map(([sensorId, s]) => ({ sensorId, name: s.name, location: s.location })));
    } else if (method === 'DELETE' && id !== undefined && this.sensors.delete(decodeURIComponent(id))) {
      answer(200, true);
    } else {
      answer(404, { error_code: 'VMSNotFound', error_message: 'not found' });
    }
  }

  /** Stops the server and drops open connections. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
