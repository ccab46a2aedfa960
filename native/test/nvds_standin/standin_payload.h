// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY: the minimal-schema payloads the stand-in nvmsgconv and nvmsgbroker make of a batch's event messages,
// as DeepStream 9.1's eventmsg_payload.cpp (generate_event_message_minimal) writes them for the fields the engine
// sets: one JSON object per frame with events, its objects `trackingId|left|top|right|bottom|label|#|||||||conf`.
#pragma once

#include <gstnvdsmeta.h>

#include <string>
#include <vector>

namespace owl_standin {

/** One payload per frame of `batch` with NVDS_EVENT_MSG_META of component `comp_id` (0: every component). */
std::vector<std::string> MinimalPayloads(NvDsBatchMeta* batch, guint comp_id);

}  // namespace owl_standin
