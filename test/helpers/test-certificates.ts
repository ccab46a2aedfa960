// SPDX-License-Identifier: Apache-2.0
// Throw-away TLS material for tests, made by openssl: a CA, a server certificate for 127.0.0.1 and a client
// certificate, both signed by that CA (valid one day).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A PEM certificate and its private key. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/** The files written by {@link makeTestCertificates}. */
export interface TestCertificates {
  /** The CA's certificate: what a client (or a server checking clients) trusts. */
  ca: string;
  /** For a server on 127.0.0.1 (subjectAltName IP:127.0.0.1, as Node checks it). */
  server: CertificateFiles;
  /** For a client that a server asks for a certificate. */
  client: CertificateFiles;
}

/** Writes a CA and a server and a client certificate signed by it into `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=owl test CA',
    '-keyout', file('ca.key'), '-out', file('ca.pem'));
  const signed = (name: string, subject: string, extensions: string): CertificateFiles => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', file(`${name}.key`),
      '-out', file(`${name}.csr`));
    fs.writeFileSync(file(`${name}.cnf`), `${extensions}\n`);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-days', '1', '-extfile', file(`${name}.cnf`), '-out', file(`${name}.crt`));
    return { cert: file(`${name}.crt`), key: file(`${name}.key`) };
  };
  return {
    ca: file('ca.pem'),
    server: signed('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'),
    client: signed('client', '/CN=owl client', 'extendedKeyUsage=clientAuth'),
  };
}
