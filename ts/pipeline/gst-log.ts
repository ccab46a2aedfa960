// SPDX-License-Identifier: Apache-2.0
// GStreamer and GLib messages in the service log. The addon captures GStreamer's debug log and GLib's g_log
// messages (DeepStream's plugins among them: they run in this process) from whatever
// thread logs, and hands them to the JS thread in batches (native/src/gstreamer/log_bridge.h). Each record goes
// to the `owl:gst` debug namespace and, at its level, to the logger given here.
import createDebug from 'debug';

import { native, type NativeLogLevel, type NativeLogRecord } from '../native';

const debug = createDebug('owl:gst');

/** Where bridged messages go besides `owl:gst`: the service's logger, or anything with these methods. */
export interface GstLogSink {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** The bridge level for each service log level (the addon maps GStreamer's own levels one step lower). */
const CAPTURED: Record<'error' | 'warn' | 'info' | 'debug', NativeLogLevel> = {
  error: 'error', warn: 'warning', info: 'info', debug: 'debug',
};

let sink: GstLogSink | null = null;
let installed = false;

function deliver(records: NativeLogRecord[], dropped: number): void {
  for (const { level, domain, message } of records) {
    const line = `${domain}: ${message}`;
    debug('%s %s', level, line);
    if (sink === null) continue;
    if (level === 'error') sink.error(line);
    else if (level === 'warning') sink.warn(line);
    else if (level === 'info') sink.info(line);
    else sink.debug(line);
  }
  if (dropped > 0) {
    debug('%d messages dropped', dropped);
    sink?.warn(`${dropped} GStreamer/GLib log messages dropped (they came faster than the log could take them)`);
  }
}

/**
 * Bridges GStreamer's and GLib's messages into `owl:gst` and `log`, capturing what the service log level
 * `level` shows. g_log messages keep their level (a GLib warning is a `warn` line);
 * GStreamer's debug log comes one step lower (its ERROR lines are `warn`, its WARNING lines `info`, its FIXME and
 * INFO lines `debug`). The first call installs the bridge for the process; later calls change the sink and the
 * level (SIGHUP).
 * @param log where messages go at their level (the service's logger); null: `owl:gst` only.
 * @param level the service log level.
 */
export function bridgeGstLog(log: GstLogSink | null, level: keyof typeof CAPTURED): void {
  sink = log;
  if (installed) {
    native.setLogBridgeLevel(CAPTURED[level]);
    return;
  }
  native.installLogBridge(deliver, CAPTURED[level]);
  installed = true;
}
