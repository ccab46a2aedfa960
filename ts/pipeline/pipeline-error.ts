// SPDX-License-Identifier: Apache-2.0
// The pipeline layer's one error class, for both engines. Native failures arrive as {message, code, domain,
// source} (a GLib/GStreamer error domain and code, or one of ours in domain "owl"; for a running pipeline's error
// event the element that raised it); option validation uses domain "owl", code EINVAL.

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

/**
 * A pipeline or RTSP output failure, with a machine-readable `code`, the `domain` that raised it and, for a
 * running pipeline's 'error' event, the `source` element.
 */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  /**
   * The part of the running pipeline that failed: the name of the element that raised it (the DeepStream
   * pipeline's `infer`, `enc`, `msgconv`, `broker`; pipeline-description.ts names them) or `output` (the RTSP
   * mount); null for a failed call (start(), an option) rather than an 'error' event.
   */
  readonly source: string | null;
  /** In a pipeline of many streams (DeepStream), the stream whose part failed; null for the pipeline's own. */
  readonly stream: string | null;

  /**
   * @param message what failed and what to do about it
   * @param code a PipelineErrorCode, or a GLib/GStreamer enum name for errors they raise
   * @param domain `owl`, or a GLib error quark name such as `gst-resource-error-quark`
   */
  constructor(message: string, readonly code: PipelineErrorCode | (string & {}), readonly domain: string,
    options?: { cause?: unknown; source?: string | null; stream?: string | null }) {
    super(message, options);
    this.source = options?.source ?? null;
    this.stream = options?.stream ?? null;
  }

  /** An error event of a running pipeline ({message, code, domain, source[, stream]} from the addon). */
  static fromEvent(event: { message: string; code: string; domain: string; source: string; stream?: string }):
    PipelineError {
    return new PipelineError(event.message, event.code, event.domain,
      { source: event.source || null, stream: event.stream ?? null });
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
