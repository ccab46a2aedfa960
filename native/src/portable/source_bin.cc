// SPDX-License-Identifier: Apache-2.0
#include "portable/source_bin.h"

#include <cstring>
#include <string>

#include "common/coded_error.h"
#include "common/generated/shared_constants.h"
#include "gstreamer/gst_support.h"

namespace owl {
namespace {

bool CapsStartWith(GstPad* pad, const char* field, const char* prefix) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  if (caps == nullptr) caps = gst_pad_query_caps(pad, nullptr);
  bool match = false;
  if (caps != nullptr && gst_caps_get_size(caps) > 0) {
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    const char* value = field == nullptr ? gst_structure_get_name(s) : gst_structure_get_string(s, field);
    match = value != nullptr && std::strncmp(value, prefix, std::strlen(prefix)) == 0;
  }
  if (caps != nullptr) gst_caps_unref(caps);
  return match;
}

// decodebin: the first raw video pad becomes the bin's "src" pad; audio and later streams stay unlinked.
void OnDecodedPad(GstElement*, GstPad* pad, gpointer bin) {
  GstPad* ghost = gst_element_get_static_pad(GST_ELEMENT(bin), "src");
  GstPad* target = gst_ghost_pad_get_target(GST_GHOST_PAD(ghost));
  if (target != nullptr) {
    gst_object_unref(target);
  } else if (CapsStartWith(pad, nullptr, "video/x-raw")) {
    gst_ghost_pad_set_target(GST_GHOST_PAD(ghost), pad);
  }
  gst_object_unref(ghost);
}

// rtspsrc: the first video RTP stream goes to decodebin (which picks depayloader, parser and decoder).
void OnRtpPad(GstElement*, GstPad* pad, gpointer decodebin) {
  if (!CapsStartWith(pad, "media", "video")) return;
  GstPad* sink = gst_element_get_static_pad(GST_ELEMENT(decodebin), "sink");
  if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
  gst_object_unref(sink);
}

// Frames decoded from a broken reference (UDP packet loss) come out as grey smears: after a loss the
// depayloader waits for the next keyframe, and the decoder drops frames it knows are corrupt, so neither
// the output nor the model ever sees them.
void OnElementAdded(GstBin*, GstBin*, GstElement* element, gpointer) {
  GObjectClass* klass = G_OBJECT_GET_CLASS(element);
  if (g_object_class_find_property(klass, "wait-for-keyframe")) {
    g_object_set(element, "wait-for-keyframe", TRUE, nullptr);
  }
  if (g_object_class_find_property(klass, "output-corrupt")) g_object_set(element, "output-corrupt", FALSE, nullptr);
}

GstElement* MakeDecodingBin(GstElement* source, bool rtsp) {
  GstElement* decodebin = MakeElement("decodebin", "decode");
  GstElement* bin = gst_bin_new("source");
  // Targetless until decodebin exposes the video: downstream can link to it now.
  gst_element_add_pad(bin, gst_ghost_pad_new_no_target("src", GST_PAD_SRC));
  gst_bin_add_many(GST_BIN(bin), source, decodebin, nullptr);
  if (rtsp) {
    g_signal_connect(source, "pad-added", G_CALLBACK(OnRtpPad), decodebin);
  } else {
    gst_element_link(source, decodebin);
  }
  g_signal_connect(decodebin, "pad-added", G_CALLBACK(OnDecodedPad), bin);
  g_signal_connect(bin, "deep-element-added", G_CALLBACK(OnElementAdded), nullptr);
  return bin;
}

bool IsTestPattern(const std::string& name) {
  GstElementFactory* factory = gst_element_factory_find("videotestsrc");
  if (factory == nullptr) return false;
  GstElement* probe = gst_element_factory_create(factory, nullptr);
  gst_object_unref(factory);
  GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(probe), "pattern");
  GEnumClass* patterns = G_PARAM_SPEC_ENUM(spec)->enum_class;
  const bool known = g_enum_get_value_by_nick(patterns, name.c_str()) != nullptr;
  gst_object_unref(gst_object_ref_sink(probe));
  return known;
}

}  // namespace

void CheckInput(const InputOptions& input) {
  switch (input.kind) {
    case InputOptions::Kind::kRtsp:
      RequireElements({"rtspsrc", "decodebin"});
      break;
    case InputOptions::Kind::kFile:
      RequireElements({"filesrc", "decodebin"});
      if (!g_file_test(input.uri.c_str(), G_FILE_TEST_IS_REGULAR)) {
        throw CodedError("Input file not found: " + input.uri + " (give the path of a readable video file)",
                         codes::kEnoent);
      }
      break;
    case InputOptions::Kind::kTest:
      RequireElements({"videotestsrc"});
      if (!IsTestPattern(input.uri)) {
        throw CodedError("Unknown test pattern '" + input.uri + "': use a videotestsrc pattern such as ball or smpte",
                         codes::kEinval);
      }
      break;
  }
}

GstElement* MakeSourceBin(const InputOptions& input, int stall_timeout_ms) {
  switch (input.kind) {
    case InputOptions::Kind::kRtsp: {
      GstElement* src = MakeElement("rtspsrc", "rtspsrc");
      g_object_set(src, "location", input.uri.c_str(), "latency", static_cast<guint>(input.latency_ms),
                   // Give up a silent connection attempt as soon as the stall watchdog would.
                   "tcp-timeout", static_cast<guint64>(stall_timeout_ms) * 1000, nullptr);
      gst_util_set_object_arg(G_OBJECT(src), "protocols", input.rtsp_tcp ? "tcp" : "udp+udp-mcast");
      return MakeDecodingBin(src, true);
    }
    case InputOptions::Kind::kFile: {
      GstElement* src = MakeElement("filesrc", "filesrc");
      g_object_set(src, "location", input.uri.c_str(), nullptr);
      return MakeDecodingBin(src, false);
    }
    case InputOptions::Kind::kTest:
    default: {
      GstElement* src = MakeElement("videotestsrc", "videotestsrc");
      g_object_set(src, "is-live", TRUE, nullptr);
      gst_util_set_object_arg(G_OBJECT(src), "pattern", input.uri.c_str());
      GstElement* filter = MakeElement("capsfilter", "test_caps");
      // I420 like a decoded camera stream (unconstrained, videotestsrc would pick a costlier 64-bit format).
      GstCaps* caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                                          input.width, "height", G_TYPE_INT, input.height, "framerate",
                                          GST_TYPE_FRACTION, input.fps, 1, nullptr);
      g_object_set(filter, "caps", caps, nullptr);
      gst_caps_unref(caps);
      GstElement* bin = gst_bin_new("source");
      gst_bin_add_many(GST_BIN(bin), src, filter, nullptr);
      gst_element_link(src, filter);
      GstPad* pad = gst_element_get_static_pad(filter, "src");
      gst_element_add_pad(bin, gst_ghost_pad_new("src", pad));
      gst_object_unref(pad);
      return bin;
    }
  }
}

}  // namespace owl
