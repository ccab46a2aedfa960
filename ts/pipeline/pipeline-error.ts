// SPDX-License-Identifier: Apache-2.0
// The pipeline layer's one error class. Native failures arrive as {message, code, domain} (a GLib/GStreamer
// error domain and code, or one of ours in domain "owl"); option validation uses domain "owl", code EINVAL.

import { expectedValue } from '../errors/expected';
import type { OwlErrorCode } from '../generated/shared-constants';

/**
 * Codes raised by owl-stream's own checks (listed, with their meaning, in ts/generated/shared-constants.ts,
 * generated from the list the addon uses too). Errors that GStreamer raises keep its enum names instead,
 * e.g. `GST_RESOURCE_ERROR_NOT_FOUND` in domain `gst-resource-error-quark`.
 */
export type PipelineErrorCode = OwlErrorCode;

/** Domain of errors raised by owl-stream itself (validation and native checks). */
export const OWL_ERROR_DOMAIN = 'owl';

/** A pipeline or RTSP output failure, with a machine-readable `code` and the `domain` that raised it. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';

  /**
   * @param message what failed and what to do about it
   * @param code a PipelineErrorCode, or a GLib/GStreamer enum name for errors they raise
   * @param domain `owl`, or a GLib error quark name such as `gst-resource-error-quark`
   */
  constructor(message: string, readonly code: PipelineErrorCode | (string & {}), readonly domain: string,
    options?: { cause?: unknown }) {
    super(message, options);
  }

  /** A validation failure: "Expected <what> for <field> but received <value>". */
  static invalid(field: string, expected: string, received: unknown): PipelineError {
    return new PipelineError(expectedValue(expected, field, received), 'EINVAL', OWL_ERROR_DOMAIN);
  }

  /** Wraps what the addon threw (an Error with `code` and `domain`), keeping it as `cause`. */
  static fromNative(err: unknown): PipelineError {
    if (err instanceof PipelineError) return err;
    const e = err as { message?: unknown; code?: unknown; domain?: unknown };
    const message = typeof e?.message === 'string' ? e.message : String(err);
    // TypeErrors from the addon's own guards carry no code: they are malformed options.
    const code = typeof e?.code === 'string' ? e.code : 'EINVAL';
    const domain = typeof e?.domain === 'string' ? e.domain : OWL_ERROR_DOMAIN;
    return new PipelineError(message, code, domain, { cause: err });
  }
}
