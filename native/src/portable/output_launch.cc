// SPDX-License-Identifier: Apache-2.0
#include "portable/output_launch.h"

#include <algorithm>
#include <array>

#include "common/coded_error.h"
#include "common/generated/shared_constants.h"

namespace owl {
namespace {

constexpr int kDefaultWidth = 1280;
constexpr int kDefaultHeight = 720;
constexpr int kDefaultFps = 30;

std::string PresetList() {
  std::string list;
  for (std::size_t i = 0; i < kX264Presets.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == kX264Presets.size() ? " or " : ", ") + std::string(kX264Presets[i]);
  }
  return list;
}

}  // namespace

OutputFormat DefaultOutputFormat(const OutputOptions& output) {
  OutputFormat format;
  const bool configured = output.width > 0 && output.height > 0;
  format.width = (configured ? output.width : kDefaultWidth) & ~1;
  format.height = (configured ? output.height : kDefaultHeight) & ~1;
  format.fps_n = kDefaultFps;
  format.fps_d = 1;
  return format;
}

void CheckEncoderOptions(const OutputOptions& output) {
  if (std::none_of(kX264Presets.begin(), kX264Presets.end(), [&](const char* p) { return output.preset == p; })) {
    throw CodedError("Unknown x264 speed preset '" + output.preset + "': use " + PresetList(), codes::kEinval);
  }
}

std::string OutputLaunch(const std::string& channel, const OutputFormat& format, const OutputOptions& output) {
  // trellis=false: the element's trellis property defaults to on and a profile showed x264's trellis
  // quantisation running under the ultrafast preset (which means it off): about half of x264's time.
  // A keyframe every second: a client joining the shared stream waits at most that long for a picture.
  // x264 repeats SPS/PPS in-band before each keyframe. The payloader must not add its own
  // (config-interval): it would insert them between the slices of one picture (zerolatency encodes one
  // slice per thread), which ffmpeg decodes as two half pictures.
  const int keyframe_interval = std::max(1, (format.fps_n + format.fps_d - 1) / format.fps_d);
  const std::string size = "width=" + std::to_string(format.width) + ",height=" + std::to_string(format.height);
  // intervideosrc takes the size of the frames it is given, else (no frame yet) the first it may: the caps
  // before videoscale prefer the format's size, so black frames start at it and real ones pass through.
  return "( intervideosrc channel=" + channel + " ! capsfilter caps=\"video/x-raw,format=I420," + size +
         ";video/x-raw,format=I420\" ! videoscale ! video/x-raw,format=I420," + size +
         ",framerate=" + std::to_string(format.fps_n) + "/" + std::to_string(format.fps_d) +
         " ! x264enc tune=zerolatency trellis=false speed-preset=" + output.preset +
         " bitrate=" + std::to_string(output.bitrate_kbps) + " key-int-max=" + std::to_string(keyframe_interval) +
         " ! rtph264pay name=pay0 pt=96 )";
}

}  // namespace owl
