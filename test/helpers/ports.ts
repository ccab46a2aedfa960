// SPDX-License-Identifier: Apache-2.0
// Free loopback ports for servers the tests start (test cameras, redis-server, the service).
import net from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1 and releases it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
