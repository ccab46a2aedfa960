// SPDX-License-Identifier: Apache-2.0
// A STAND-IN for NVIDIA VST (Video Storage Toolkit), which cannot run here: a loopback HTTP server that
// answers `GET .../api/v1/live/streams` with the documented shape
// `[ { "<streamId>": [ {isMain, url, name, ...}, ... ] }, ... ]`, or with whatever a test scripts.
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
  #server: http.Server | null = null;

  /**
   * @param answer the answer to each live-streams request (called per request, so it can change over time);
   *   `null` leaves the request hanging (a VST that accepts connections but never answers).
   */
  constructor(private readonly answer: (requestNumber: number) => StandInAnswer | null) {}

  /** Starts on 127.0.0.1 (port 0 = any free port); resolves with the base URL `http://127.0.0.1:<port>`. */
  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      if (req.method !== 'GET' || !(req.url ?? '').endsWith('/api/v1/live/streams')) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      const answer = this.answer(this.requests.length);
      if (answer === null) return;
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(body);
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
