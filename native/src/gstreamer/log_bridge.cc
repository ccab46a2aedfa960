// SPDX-License-Identifier: Apache-2.0
#include "gstreamer/log_bridge.h"

#include <gst/gst.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <mutex>
#include <utility>

#include "common/coded_error.h"
#include "common/generated/shared_constants.h"
#include "gstreamer/gst_support.h"

namespace owl {
namespace {

// The bridge's state: one per process, like the handlers it installs.
struct State {
  std::mutex mutex;
  bool installed = false;
  std::atomic<int> threshold{static_cast<int>(LogLevel::kWarning)};
  std::function<void()> notify;
  std::deque<LogRecord> queue;
  uint64_t dropped = 0;
  GLogFunc previous_glib = nullptr;
  GstDebugLevel previous_gst_threshold = GST_LEVEL_NONE;
  bool removed_gst_default = false;
  bool user_gst_debug = false;  // GST_DEBUG is set: leave GStreamer's own thresholds and printing alone
};

State& Shared() {
  static State* state = new State();  // never destroyed: handlers may still run while the process exits
  return *state;
}

thread_local bool t_in_handler = false;  // a handler that logs must not re-enter the bridge

LogLevel FromGlib(GLogLevelFlags flags) {
  if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) return LogLevel::kError;
  if (flags & G_LOG_LEVEL_WARNING) return LogLevel::kWarning;
  if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO)) return LogLevel::kInfo;
  return LogLevel::kDebug;
}

// GStreamer's debug log is its developers' trace, one step below the service's levels (see log_bridge.h).
LogLevel FromGst(GstDebugLevel level) {
  if (level <= GST_LEVEL_ERROR) return LogLevel::kWarning;
  if (level == GST_LEVEL_WARNING) return LogLevel::kInfo;
  return LogLevel::kDebug;  // FIXME, INFO (nothing finer is captured)
}

// The GStreamer threshold that captures what FromGst maps to `level` and above, and nothing finer.
GstDebugLevel ToGst(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return GST_LEVEL_NONE;
    case LogLevel::kWarning: return GST_LEVEL_ERROR;
    case LogLevel::kInfo: return GST_LEVEL_WARNING;
    case LogLevel::kDebug: return GST_LEVEL_INFO;
  }
  return GST_LEVEL_ERROR;
}

void GlibHandler(const gchar* domain, GLogLevelFlags flags, const gchar* message, gpointer) {
  if (t_in_handler) return;
  t_in_handler = true;
  LogBridge::Instance().Push(FromGlib(flags), domain != nullptr ? domain : "GLib", message != nullptr ? message : "");
  t_in_handler = false;
}

void GstHandler(GstDebugCategory* category, GstDebugLevel level, const gchar*, const gchar*, gint, GObject* object,
                GstDebugMessage* message, gpointer) {
  if (t_in_handler) return;
  t_in_handler = true;
  const gchar* text = gst_debug_message_get(message);
  std::string line = text != nullptr ? text : "";
  // The element's name says which part of which stream (GStreamer's own printer reads it the same way).
  if (object != nullptr && GST_IS_OBJECT(object) && GST_OBJECT_NAME(object) != nullptr) {
    line = std::string("<") + GST_OBJECT_NAME(object) + "> " + line;
  }
  LogBridge::Instance().Push(FromGst(level), category != nullptr ? gst_debug_category_get_name(category) : "gst",
                             line);
  t_in_handler = false;
}

void AppendEscaped(std::string& out, unsigned char c) {
  switch (c) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  char hex[5];
  std::snprintf(hex, sizeof hex, "\\x%02x", c);
  out += hex;
}

}  // namespace

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "warning";
}

LogBridge& LogBridge::Instance() {
  static LogBridge bridge;
  return bridge;
}

std::string LogBridge::Sanitise(const std::string& text, std::size_t max_bytes) {
  std::size_t end = text.size();
  if (end > max_bytes) {
    end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not inside a character
  }
  std::string out;
  out.reserve(end + 16);
  for (std::size_t i = 0; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      AppendEscaped(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (end < text.size()) out += "... (" + std::to_string(text.size() - end) + " more bytes)";
  return out;
}

void LogBridge::Push(LogLevel level, const std::string& domain, const std::string& message) {
  State& state = Shared();
  if (static_cast<int>(level) > state.threshold.load()) return;
  std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.installed) return;
  if (state.queue.size() >= kMaxQueued) {
    ++state.dropped;
    return;
  }
  state.queue.push_back({level, Sanitise(domain, 64), Sanitise(message)});
  // Under the lock, so that none runs after Uninstall; notify never blocks (NonBlockingCall).
  if (state.queue.size() == 1) state.notify();
}

void LogBridge::Install(LogLevel threshold, std::function<void()> notify) {
  EnsureGstInit();
  State& state = Shared();
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.installed) throw CodedError("the GStreamer log bridge is already installed", codes::kEstate);
    state.installed = true;
    state.notify = std::move(notify);
    state.threshold.store(static_cast<int>(threshold));
    state.user_gst_debug = g_getenv("GST_DEBUG") != nullptr;
  }
  state.previous_glib = g_log_set_default_handler(GlibHandler, nullptr);
  state.previous_gst_threshold = gst_debug_get_default_threshold();
  gst_debug_add_log_function(GstHandler, nullptr, nullptr);
  if (!state.user_gst_debug) {
    // Nobody asked for GStreamer's stderr printer: the service log carries what the threshold lets through.
    state.removed_gst_default = gst_debug_remove_log_function(gst_debug_log_default) > 0;
  }
  ApplyGstThreshold();
}

void LogBridge::SetThreshold(LogLevel threshold) {
  Shared().threshold.store(static_cast<int>(threshold));
  ApplyGstThreshold();
}

void LogBridge::ApplyGstThreshold() {
  State& state = Shared();
  if (!state.installed || state.user_gst_debug) return;
  gst_debug_set_active(TRUE);
  gst_debug_set_default_threshold(ToGst(static_cast<LogLevel>(state.threshold.load())));
}

void LogBridge::Uninstall() {
  State& state = Shared();
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.installed) return;
    state.installed = false;
    state.notify = nullptr;
    state.queue.clear();
  }
  gst_debug_remove_log_function(GstHandler);
  if (state.removed_gst_default) gst_debug_add_log_function(gst_debug_log_default, nullptr, nullptr);
  state.removed_gst_default = false;
  if (!state.user_gst_debug) gst_debug_set_default_threshold(state.previous_gst_threshold);
  g_log_set_default_handler(state.previous_glib, nullptr);  // GLib's own default takes no data
}

LogBatch LogBridge::Drain() {
  State& state = Shared();
  LogBatch batch;
  std::lock_guard<std::mutex> lock(state.mutex);
  batch.records.assign(std::make_move_iterator(state.queue.begin()), std::make_move_iterator(state.queue.end()));
  state.queue.clear();
  batch.dropped = state.dropped;
  state.dropped = 0;
  return batch;
}

}  // namespace owl
