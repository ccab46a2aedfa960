// SPDX-License-Identifier: Apache-2.0
// N-API surface of the log bridge (log_bridge.h), declared in ts/native.ts and used by ts/pipeline/gst-log.ts:
//   installLogBridge(onRecords, level)  [sync] installs once per process; onRecords(records, dropped) runs on the
//                                        JS thread with {level, domain, message} objects; throws ESTATE if
//                                        installed; does not keep the process alive
//   setLogBridgeLevel(level)            [sync] "error" | "warning" | "info" | "debug"
// The records wait in the bridge's bounded queue; a thread-safe function only says that there are some
// (NonBlockingCall), so a GStreamer thread never waits on JS. Uninstalled with the JS environment.
#pragma once

#include <napi.h>

namespace owl {

void InitLogBridgeBinding(Napi::Env env, Napi::Object exports);

}  // namespace owl
