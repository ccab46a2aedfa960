// SPDX-License-Identifier: Apache-2.0
// GLib and GStreamer logging, captured for the service log. GStreamer's debug log (at the threshold and above)
// and every g_log message without a handler of its own (GLib, GObject, GStreamer's g_warnings, DeepStream's
// plugins) are copied into a bounded queue under a mutex, from whatever thread logs;
// `notify` then tells the JS side, which drains the queue on its own thread (log_bridge_binding.h). Logging
// never blocks: a full queue drops the record and counts it. Messages are cut at kMaxMessageBytes and their
// control characters escaped, so a log line stays one line whatever a stream or element put in it.
// Levels: g_log's map as they are (CRITICAL and ERROR: error, WARNING: warning, MESSAGE and INFO: info, DEBUG:
// debug). GStreamer's debug log maps one step lower (ERROR: warning, WARNING: info, FIXME and INFO: debug): it
// is its developers' trace (every client of the RTSP output brings WARNING lines about the server's own
// pipeline), and an element error also reaches the bus, which the pipelines report on their own.
// No N-API here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace owl {

/** Severity in the service's terms, most severe first; the threshold lets through its level and the ones above. */
enum class LogLevel { kError, kWarning, kInfo, kDebug };

/** "error", "warning", "info", "debug". */
const char* LogLevelName(LogLevel level);

/** One captured message. */
struct LogRecord {
  LogLevel level;
  std::string domain;   // the GStreamer debug category or the GLib log domain ("GLib-GObject", "rtspsrc", ...)
  std::string message;  // cut and escaped; GStreamer's are prefixed with the object's name, e.g. "<src> ..."
};

/** What Drain returns: the records in order, and how many were dropped since the last drain. */
struct LogBatch {
  std::vector<LogRecord> records;
  uint64_t dropped = 0;
};

/** The process-wide bridge (GLib and GStreamer handlers are process-wide). */
class LogBridge {
 public:
  static constexpr std::size_t kMaxQueued = 256;
  static constexpr std::size_t kMaxMessageBytes = 1024;

  static LogBridge& Instance();

  /**
   * [sync] Installs the GLib default handler and a GStreamer log function (initialising GStreamer), sets the
   * threshold, and from then on calls `notify` (from the logging thread: it must not block) when a record
   * enters an empty queue. Without GST_DEBUG set, GStreamer's own stderr printer is removed and its default
   * threshold follows ours; with it, the user's settings stay and GStreamer keeps printing as asked.
   * Throws CodedError "ESTATE" if already installed.
   */
  void Install(LogLevel threshold, std::function<void()> notify);
  /** [sync] Changes the threshold (and GStreamer's default threshold, as Install). */
  void SetThreshold(LogLevel threshold);
  /** [sync] Restores the previous handlers and drops what is queued; idempotent. */
  void Uninstall();
  /** [sync] Takes the queued records. */
  LogBatch Drain();

  /** Cuts text at max_bytes (on a UTF-8 boundary, saying how much was cut) and escapes control characters. */
  static std::string Sanitise(const std::string& text, std::size_t max_bytes = kMaxMessageBytes);

  /** [any thread] Queues a record at `level` unless under the threshold or not installed. */
  void Push(LogLevel level, const std::string& domain, const std::string& message);

 private:
  LogBridge() = default;
  void ApplyGstThreshold();
};

}  // namespace owl
