// SPDX-License-Identifier: Apache-2.0
// A TCP server on loopback that accepts every connection and records every byte it receives, answering nothing:
// the target of hostile URLs in the security tests, proving what (if anything) left the process.
import net from 'node:net';

/** The recording server. */
export class RecordingServer {
  /** Connections accepted so far. */
  connections = 0;
  readonly #chunks: Buffer[] = [];
  readonly #sockets = new Set<net.Socket>();

  private constructor(readonly server: net.Server, readonly port: number) {}

  /** Listens on a free 127.0.0.1 port. */
  static async start(): Promise<RecordingServer> {
    let self: RecordingServer | null = null;
    const server = net.createServer((socket) => self!.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self = new RecordingServer(server, (server.address() as net.AddressInfo).port);
    return self;
  }

  /** Everything received, on every connection, in arrival order. */
  get received(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** Stops listening and drops open connections. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    this.connections++;
    this.#sockets.add(socket);
    socket.on('data', (chunk: Buffer) => this.#chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}
