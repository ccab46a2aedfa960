// SPDX-License-Identifier: Apache-2.0
// The Redis payload's input: one NvDsEventMsgMeta per object, attached to the frame as user metadata for
// nvmsgconv's "old API" (no msg2p-newapi), as the SDK's deepstream-test4 does. nvmsgconv's minimal schema
// (payload-type=1) joins a frame's events into one entry:
//   {"version":"4.0","id":"<frameId>","@timestamp":"<ts>","sensorId":"<sensorStr>","objects":["<trackingId>|
//    <left>|<top>|<left+width>|<top+height>|<objectId>...", ...]}
// (eventmsg_payload.cpp generate_event_message_minimal, DS 6.2, 7.0 and 9.1). Unlike msg2p-newapi, which writes
// nvstreammux pixels and a sensor id from a table read at start, this carries each stream's own sensor id and its
// source-frame pixels: streams come and go, and the legacy muxer scales them all to one size.
#pragma once

#include <nvdsmeta.h>

#include <cstdint>
#include <string>

namespace owl::ds {

/** One reported object: the box in source-frame pixels. */
struct EventObject {
  uint64_t tracking_id;  // nvtracker's id, or UNTRACKED_OBJECT_ID
  int class_id;
  float left, top, width, height;
  double confidence;
  const std::string* label;  // the prompt text
};

/** "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds), the @timestamp nvmsgconv writes. */
std::string Rfc3339Now();

/**
 * [sync] Attaches one event message for `object` to `frame` (user metadata from the batch's pool, freed by the
 * pool with its strings), for the converter whose comp-id is `component_id` (0: every converter without one;
 * gstnvmsgconv.c(pp) skips events of another component). The minimal payload writes the tail after the label by
 * SDK version: 6.2 nothing, 7.x `|<confidence>`, 9.x `|#||||||` and `|<confidence>` (README, "The DeepStream
 * engine").
 */
void AttachEventMessage(NvDsBatchMeta* batch, NvDsFrameMeta* frame, const EventObject& object,
                        const std::string& sensor_id, uint64_t frame_id, const std::string& timestamp,
                        int component_id);

}  // namespace owl::ds
