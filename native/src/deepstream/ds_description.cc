// SPDX-License-Identifier: Apache-2.0
#include "deepstream/ds_description.h"

#include "common/coded_error.h"
#include "common/generated/shared_constants.h"
#include "gstreamer/gst_support.h"

namespace owl::ds {
namespace {

[[noreturn]] void ThrowParseError(GError* error, const std::string& what) {
  ErrorInfo info = ErrorFromGError(error, what);
  if (error != nullptr && error->domain == GST_PARSE_ERROR) {
    const bool missing = error->code == GST_PARSE_ERROR_NO_SUCH_ELEMENT;
    info.code = missing ? codes::kEnoplugin : codes::kEinval;
    if (missing) info.message += " (is this a DeepStream install with its plugins on GST_PLUGIN_PATH?)";
  }
  g_clear_error(&error);
  throw CodedError(info);
}

// gst_parse_* may return an element together with a (non-fatal) error: either way only a clean result is kept.
GstElement* Checked(GstElement* parsed, GError* error, const std::string& what) {
  if (parsed != nullptr && error == nullptr) return GST_ELEMENT(gst_object_ref_sink(parsed));
  if (parsed != nullptr) gst_object_unref(gst_object_ref_sink(parsed));
  ThrowParseError(error, what);
}

}  // namespace

GstElement* ParsePipeline(const std::string& description) {
  GError* error = nullptr;
  GstElement* parsed = gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  return Checked(parsed, error, "DeepStream pipeline");
}

GstElement* ParseBin(const std::string& description, const std::string& what) {
  GError* error = nullptr;
  GstElement* parsed = gst_parse_bin_from_description_full(description.c_str(), TRUE, nullptr,
                                                           GST_PARSE_FLAG_FATAL_ERRORS, &error);
  return Checked(parsed, error, what);
}

GstElement* ByName(GstElement* bin, const char* name) {
  return gst_bin_get_by_name(GST_BIN(bin), name);
}

}  // namespace owl::ds
