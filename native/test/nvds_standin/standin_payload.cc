// SPDX-License-Identifier: Apache-2.0
#include "standin_payload.h"

#include <nvdsmeta_schema.h>

#include <sstream>

namespace owl_standin {
namespace {

std::string JsonString(const char* text) {
  std::string out = "\"";
  for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
    if (*p == '"' || *p == '\\') out += '\\';
    out += *p;
  }
  return out + "\"";
}

}  // namespace

std::vector<std::string> MinimalPayloads(NvDsBatchMeta* batch, guint comp_id) {
  std::vector<std::string> payloads;
  for (GList* l = batch->frame_meta_list; l != nullptr; l = l->next) {
    auto* frame = static_cast<NvDsFrameMeta*>(l->data);
    std::ostringstream objects;  // C++ stream defaults, as the SDK's stringstream
    const NvDsEventMsgMeta* first = nullptr;
    for (GList* u = frame->frame_user_meta_list; u != nullptr; u = u->next) {
      auto* user = static_cast<NvDsUserMeta*>(u->data);
      if (user->base_meta.meta_type != NVDS_EVENT_MSG_META) continue;
      const auto* meta = static_cast<const NvDsEventMsgMeta*>(user->user_meta_data);
      if (comp_id != 0 && meta->componentId != static_cast<gint>(comp_id)) continue;
      std::ostringstream object;
      object << meta->trackingId << "|" << meta->bbox.left << "|" << meta->bbox.top << "|"
             << meta->bbox.left + meta->bbox.width << "|" << meta->bbox.top + meta->bbox.height << "|"
             << (meta->objType == NVDS_OBJECT_TYPE_UNKNOWN && meta->objectId != nullptr ? meta->objectId : "Unknown")
             << "|#||||||" << "|" << meta->confidence;
      objects << (first == nullptr ? "" : ",") << JsonString(object.str().c_str());
      if (first == nullptr) first = meta;
    }
    if (first == nullptr) continue;
    payloads.push_back("{\"version\":\"4.0\",\"id\":\"" + std::to_string(first->frameId) + "\",\"@timestamp\":" +
                       JsonString(first->ts) + ",\"sensorId\":" + JsonString(first->sensorStr) + ",\"objects\":[" +
                       objects.str() + "]}");
  }
  return payloads;
}

}  // namespace owl_standin
