// SPDX-License-Identifier: Apache-2.0
// The RTSP side of a pipeline's video output, as the launch description of its shared media factory:
// intervideosrc (the video branch's latest frame, repeated at a steady rate; black after a second
// without input, and before the first) -> videoscale -> x264enc -> rtph264pay. It lives in the RTSP server,
// apart from the input pipeline, so the output keeps its frame rate while the input reconnects (or never
// connects), and it encodes only while watched. The video branch delivers frames at the format's size, so
// videoscale passes them through; it scales only for clients of an earlier format (see Pipeline::Republish).
#pragma once

#include <string>

#include "portable/pipeline_options.h"

namespace owl {

struct OutputFormat {
  int width = 0;
  int height = 0;
  int fps_n = 30;
  int fps_d = 1;

  bool operator==(const OutputFormat& other) const {
    return width == other.width && height == other.height && fps_n == other.fps_n && fps_d == other.fps_d;
  }
  bool operator!=(const OutputFormat& other) const { return !(*this == other); }
};

/**
 * The output format before any source frame has said otherwise: the configured size, else 1280x720, at 30 fps
 * (even sizes, as 4:2:0 needs). A held mount (RtspServer::Hold) starts at it, as its pipeline does.
 */
OutputFormat DefaultOutputFormat(const OutputOptions& output);

/** [sync] Throws CodedError "EINVAL" for an unknown x264 speed preset (it goes into a launch string). */
void CheckEncoderOptions(const OutputOptions& output);

/** The launch description for gst-rtsp-server, reading frames from intervideo channel `channel`. */
std::string OutputLaunch(const std::string& channel, const OutputFormat& format, const OutputOptions& output);

}  // namespace owl
