// SPDX-License-Identifier: Apache-2.0
// Failures of VST discovery, by kind: only `unreachable` is worth retrying.

/** Why no stream came out of VST. */
export type VstErrorCode =
  /** No answer, a timeout, or a 5xx: VST may still be starting; retried. */
  | 'unreachable'
  /** An answer that is not the live-streams list (wrong address, 4xx, not JSON). */
  | 'bad_response'
  /** VST has no stream with a main RTSP URL. */
  | 'no_streams'
  /** The configured stream name/id is not among VST's streams. */
  | 'stream_not_found'
  /** The caller cancelled discovery. */
  | 'aborted';

/** A VST discovery failure naming the VST address and what to fix. */
export class VstError extends Error {
  override readonly name = 'VstError';
  constructor(readonly code: VstErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
