// SPDX-License-Identifier: Apache-2.0
#include "gstreamer/gst_support.h"

#include <gio/gio.h>

#include <cstring>
#include <mutex>

#include "common/generated/shared_constants.h"

namespace owl {
namespace {

// Enum types whose value names describe a GError code of the matching domain.
GType EnumTypeForDomain(GQuark domain) {
  if (domain == GST_CORE_ERROR) return GST_TYPE_CORE_ERROR;
  if (domain == GST_LIBRARY_ERROR) return GST_TYPE_LIBRARY_ERROR;
  if (domain == GST_RESOURCE_ERROR) return GST_TYPE_RESOURCE_ERROR;
  if (domain == GST_STREAM_ERROR) return GST_TYPE_STREAM_ERROR;
  if (domain == G_IO_ERROR) return G_TYPE_IO_ERROR_ENUM;
  return G_TYPE_INVALID;
}

CodedError MissingElement(const char* factory) {
  return CodedError(std::string("GStreamer element '") + factory +
                        "' is missing: install the GStreamer plugin that provides it (deploy/setup.sh lists them)",
                    codes::kEnoplugin);
}

}  // namespace

void EnsureGstInit() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    GError* error = nullptr;
    if (!gst_init_check(nullptr, nullptr, &error)) {
      failure = error ? error->message : "unknown reason";
      g_clear_error(&error);
    }
    // GStreamer's streaming threads come from GLib's shared thread pool, which otherwise keeps idle
    // threads for 15 s: a stopped pipeline should leave no thread behind.
    g_thread_pool_set_max_unused_threads(0);
  });
  if (!failure.empty()) throw CodedError("GStreamer failed to initialise: " + failure, codes::kEgstinit);
}

ErrorInfo ErrorFromGError(const GError* error, const std::string& context) {
  if (error == nullptr) return {context + ": unknown error", codes::kEunknown, kOwlErrorDomain};
  std::string code = std::to_string(error->code);
  GType type = EnumTypeForDomain(error->domain);
  if (type != G_TYPE_INVALID) {
    GEnumClass* klass = static_cast<GEnumClass*>(g_type_class_ref(type));
    if (GEnumValue* value = g_enum_get_value(klass, error->code)) code = value->value_name;
    g_type_class_unref(klass);
  }
  return {context + ": " + error->message, code, g_quark_to_string(error->domain)};
}

namespace {

// The element's own words for an error it posted with GStreamer's generic text for its code (GST_ELEMENT_ERROR with
// no message: DeepStream's nvmsgbroker says "unable to connect to broker library" only so): the debug string's text
// after GStreamer's "file(line): function (): /element/path:" line; "" when the element gave a message of its own.
std::string OwnDetail(const GError* error, const gchar* debug) {
  if (error == nullptr || debug == nullptr) return "";
  gchar* generic = gst_error_get_message(error->domain, error->code);
  const bool is_generic = generic != nullptr && g_strcmp0(generic, error->message) == 0;
  g_free(generic);
  const char* detail = std::strchr(debug, '\n');
  return is_generic && detail != nullptr && detail[1] != '\0' ? std::string(detail + 1) : "";
}

}  // namespace

ErrorInfo ErrorFromMessage(GstMessage* message) {
  GError* error = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  const char* element = GST_MESSAGE_SRC_NAME(message);
  ErrorInfo info = ErrorFromGError(error, element != nullptr ? element : "pipeline");
  const std::string detail = OwnDetail(error, debug);
  if (!detail.empty()) info.message += " (" + detail + ")";
  info.source = element != nullptr ? element : "";
  g_clear_error(&error);
  g_free(debug);
  return info;
}

void RequireElements(std::initializer_list<const char*> factories) {
  for (const char* name : factories) {
    GstElementFactory* factory = gst_element_factory_find(name);
    if (factory == nullptr) throw MissingElement(name);
    gst_object_unref(factory);
  }
}

GstElement* MakeElement(const char* factory, const char* name) {
  GstElement* element = gst_element_factory_make(factory, name);
  if (element == nullptr) throw MissingElement(factory);
  return element;
}

}  // namespace owl
