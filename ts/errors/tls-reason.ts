// SPDX-License-Identifier: Apache-2.0
// What a failed TLS handshake says, in the words an operator can act on. Node passes OpenSSL's error lines through
// (`<hex>:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:<file>:<line>:SSL alert
// number 116`): only the reason field is kept.

const TLS_FAILURE = /certificate|self.signed|SSL|TLS|wrong version number/i;
const OPENSSL_ERROR = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/;

/** The reason of a TLS failure (OpenSSL's error line reduced to its reason field), or null for any other error. */
export function tlsFailureReason(message: string): string | null {
  if (!TLS_FAILURE.test(message)) return null;
  return OPENSSL_ERROR.exec(message)?.[1] ?? message.trim();
}

/** Whether the server refused the handshake because the client sent no certificate (TLS 1.3 alert 116). */
export function isClientCertificateRequired(reason: string): boolean {
  return /certificate required/i.test(reason);
}
