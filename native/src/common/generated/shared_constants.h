// SPDX-License-Identifier: Apache-2.0
// Generated from native/src/common/shared-constants.json by deploy/gen-constants.js — do not edit.
#pragma once

#include <array>
#include <cstdint>

namespace owl {

/** The pipeline lifecycle both engines report (NativePipelineState in ts/native.ts). */
enum class PipelineState {
  kConnecting,  // building the input or waiting for its first frame
  kPlaying,  // frames flow (first connection)
  kLost,  // the input failed or stalled; a retry is scheduled
  kReconnected,  // frames flow again after a loss
  kStopped,  // stop() ran: the last event
};

/** "connecting", "playing", "lost", "reconnected", "stopped". */
inline const char* StateName(PipelineState state) {
  switch (state) {
    case PipelineState::kConnecting: return "connecting";
    case PipelineState::kPlaying: return "playing";
    case PipelineState::kLost: return "lost";
    case PipelineState::kReconnected: return "reconnected";
    case PipelineState::kStopped: return "stopped";
  }
  return "unknown";
}

/** Codes of the errors owl-stream's own checks raise, in domain "owl" (OwlErrorCode in TS). */
namespace codes {
// an option is malformed (the message names it and what is allowed)
inline constexpr const char* kEinval = "EINVAL";
// the input file does not exist (the message names the path)
inline constexpr const char* kEnoent = "ENOENT";
// the RTSP output cannot bind host:port: another server has it
inline constexpr const char* kEaddrinuse = "EADDRINUSE";
// the RTSP output cannot bind host:port: a privileged port
inline constexpr const char* kEacces = "EACCES";
// the RTSP output cannot bind host:port: no such local address
inline constexpr const char* kEaddrnotavail = "EADDRNOTAVAIL";
// another pipeline already serves that RTSP mount
inline constexpr const char* kEmountinuse = "EMOUNTINUSE";
// a GStreamer element is not installed (the message names the package)
inline constexpr const char* kEnoplugin = "ENOPLUGIN";
// the pipeline or server was already started or stopped
inline constexpr const char* kEstate = "ESTATE";
// a stream of that id is already in the DeepStream pipeline
inline constexpr const char* kEexist = "EEXIST";
// every stream slot of the DeepStream pipeline is taken (input.maxStreams)
inline constexpr const char* kEnospc = "ENOSPC";
// the input pipeline's elements could not be linked
inline constexpr const char* kElink = "ELINK";
// GStreamer failed to initialise
inline constexpr const char* kEgstinit = "EGSTINIT";
// GStreamer reported a failure without an error
inline constexpr const char* kEunknown = "EUNKNOWN";
}  // namespace codes

/** x264enc speed presets, fastest (least CPU, most bits) first. */
inline constexpr std::array<const char*, 10> kX264Presets = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"};

/** The tracker's default options (tracking::TrackerOptions in native/src/tracker/tracker.h). */
namespace tracker_defaults {
// detections at or above start and follow tracks (labels without thresholds of their own)
inline constexpr double kHighScore = 0.5;
// detections at or above, below highScore, only extend confirmed tracks
inline constexpr double kLowScore = 0.1;
// least IoU to match a high detection to a confirmed track (ByteTrack: 0.2)
inline constexpr double kMatchIou = 0.3;
// least IoU to match a low detection (ByteTrack: 0.5)
inline constexpr double kLowMatchIou = 0.5;
// least IoU to match a tentative track (ByteTrack: 0.3)
inline constexpr double kTentativeMatchIou = 0.3;
// consecutive matched model frames before a track is confirmed and gets an id
inline constexpr int32_t kMinHits = 2;
// a confirmed track unmatched for longer than this (ms) is removed
inline constexpr int64_t kBufferMs = 3000;
// detection box noise, as a fraction of the box's size
inline constexpr double kMeasurementNoise = 0.05;
// acceleration noise, in box sizes per second squared
inline constexpr double kMotionNoise = 0.5;
// prior speed uncertainty of a new track, in box sizes per second
inline constexpr double kInitialSpeedStd = 1.5;
// match margin in standard deviations of the predicted centre (0: plain IoU)
inline constexpr double kMarginSigmas = 1.0;
// largest match margin per side, as a fraction of the box's width or height
inline constexpr double kMaxMargin = 1.5;
}  // namespace tracker_defaults

}  // namespace owl
