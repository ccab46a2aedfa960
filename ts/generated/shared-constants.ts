// SPDX-License-Identifier: Apache-2.0
// Generated from native/src/common/shared-constants.json by deploy/gen-constants.js — do not edit.

/**
 * The pipeline lifecycle both engines report:
 * - `connecting` building the input or waiting for its first frame
 * - `playing` frames flow (first connection)
 * - `lost` the input failed or stalled; a retry is scheduled
 * - `reconnected` frames flow again after a loss
 * - `stopped` stop() ran: the last event
 */
export const PIPELINE_STATES = ['connecting', 'playing', 'lost', 'reconnected', 'stopped'] as const;
export type NativePipelineState = (typeof PIPELINE_STATES)[number];

/**
 * Codes of the errors owl-stream's own checks raise, in domain `owl`:
 * - `EINVAL` an option is malformed (the message names it and what is allowed)
 * - `ENOENT` the input file does not exist (the message names the path)
 * - `EADDRINUSE` the RTSP output cannot bind host:port: another server has it
 * - `EACCES` the RTSP output cannot bind host:port: a privileged port
 * - `EADDRNOTAVAIL` the RTSP output cannot bind host:port: no such local address
 * - `EMOUNTINUSE` another pipeline already serves that RTSP mount
 * - `ENOPLUGIN` a GStreamer element is not installed (the message names the package)
 * - `ESTATE` the pipeline or server was already started or stopped
 * - `EEXIST` a stream of that id is already in the DeepStream pipeline
 * - `ENOSPC` every stream slot of the DeepStream pipeline is taken (input.maxStreams)
 * - `ELINK` the input pipeline's elements could not be linked
 * - `EGSTINIT` GStreamer failed to initialise
 * - `EUNKNOWN` GStreamer reported a failure without an error
 */
export const OWL_ERROR_CODES = [
  'EINVAL', 'ENOENT', 'EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EMOUNTINUSE', 'ENOPLUGIN', 'ESTATE', 'EEXIST', 'ENOSPC',
  'ELINK', 'EGSTINIT', 'EUNKNOWN',
] as const;
export type OwlErrorCode = (typeof OWL_ERROR_CODES)[number];

/** x264enc speed presets, fastest (least CPU, most bits) first. */
export const X264_PRESETS = [
  'ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo',
] as const;
export type X264Preset = (typeof X264_PRESETS)[number];

/** The tracker's default options (NativeTrackerOptions; the C++ core's TrackerOptions). */
export const TRACKER_DEFAULTS = {
  /** Detections at or above start and follow tracks (labels without thresholds of their own). */
  highScore: 0.5,
  /** Detections at or above, below highScore, only extend confirmed tracks. */
  lowScore: 0.1,
  /** Least IoU to match a high detection to a confirmed track (ByteTrack: 0.2). */
  matchIou: 0.3,
  /** Least IoU to match a low detection (ByteTrack: 0.5). */
  lowMatchIou: 0.5,
  /** Least IoU to match a tentative track (ByteTrack: 0.3). */
  tentativeMatchIou: 0.3,
  /** Consecutive matched model frames before a track is confirmed and gets an id. */
  minHits: 2,
  /** A confirmed track unmatched for longer than this (ms) is removed. */
  bufferMs: 3000,
  /** Detection box noise, as a fraction of the box's size. */
  measurementNoise: 0.05,
  /** Acceleration noise, in box sizes per second squared. */
  motionNoise: 0.5,
  /** Prior speed uncertainty of a new track, in box sizes per second. */
  initialSpeedStd: 1.5,
  /** Match margin in standard deviations of the predicted centre (0: plain IoU). */
  marginSigmas: 1.0,
  /** Largest match margin per side, as a fraction of the box's width or height. */
  maxMargin: 1.5,
} as const;
