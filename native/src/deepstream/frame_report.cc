// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK, or against the test-only stand-in headers (native/test/nvds_shim).
#include "deepstream/frame_report.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "decode/box_clip.h"
#include "deepstream/event_msg.h"

namespace owl::ds {
namespace {

char kFontName[] = "Serif";  // nvinfer's choice; the pool never frees font_name

std::string DisplayText(const NvDsObjectMeta& object, const std::string& label, bool show_scores) {
  std::string text = object.object_id == UNTRACKED_OBJECT_ID ? label
                                                             : "#" + std::to_string(object.object_id) + " " + label;
  if (show_scores && object.confidence >= 0.f) {  // nvtracker gives objects it carried confidence -0.1
    char score[16];
    std::snprintf(score, sizeof score, " %.2f", object.confidence);
    text += score;
  }
  return text;
}

void Style(NvDsObjectMeta& object, const std::string& label, int prompt, const OverlayStyle& style) {
  const std::array<double, 3>& rgb = style.palette[static_cast<size_t>(prompt) % style.palette.size()];
  NvOSD_RectParams& rect = object.rect_params;
  rect.border_width = style.line_width;
  rect.border_color = {rgb[0], rgb[1], rgb[2], 1.0};
  rect.has_bg_color = 0;
  g_strlcpy(object.obj_label, label.c_str(), MAX_LABEL_SIZE);
  NvOSD_TextParams& text = object.text_params;
  g_free(text.display_text);  // heap memory the meta pool frees
  text.display_text = style.font_size == 0 ? nullptr : g_strdup(DisplayText(object, label, style.show_scores).c_str());
  text.font_params.font_name = kFontName;
  text.font_params.font_size = style.font_size;
  text.font_params.font_color = {1.0, 1.0, 1.0, 1.0};
  text.set_bg_clr = 1;
  text.text_bg_clr = {rgb[0], rgb[1], rgb[2], 0.8};
  text.x_offset = static_cast<unsigned>(std::max(rect.left, 0.f));
  text.y_offset = static_cast<unsigned>(std::max(rect.top - static_cast<float>(style.font_size) - 6.f, 0.f));
}

// The model's box of an object in source-frame pixels, clipped: false when the tracker carried it (no detection
// on this frame) or nothing of it is inside the frame.
bool SourceBox(const NvDsObjectMeta& object, float sx, float sy, float width, float height, Detection& out) {
  const NvBbox_Coords& box = object.detector_bbox_info.org_bbox_coords;
  if (box.width <= 0.f || box.height <= 0.f) return false;
  std::vector<Detection> one{{0, object.confidence, box.left * sx, box.top * sy, (box.left + box.width) * sx,
                              (box.top + box.height) * sy}};
  ClipToFrame(one, width, height);
  if (one.empty()) return false;
  out = one.front();
  return true;
}

void ReportFrame(NvDsBatchMeta* batch, NvDsFrameMeta* frame, const StreamView& view, const ReportContext& context) {
  const StreamPrompts& prompts = *view.prompts;
  const OverlayStyle& style = *context.style;
  const uint64_t frame_id = view.counters->frame_number.fetch_add(1, std::memory_order_relaxed);
  const bool inferred = frame->bInferDone != FALSE;
  const MuxGeometry surface = SurfaceOf(*frame, context.mux);
  const float width = static_cast<float>(frame->source_frame_width);
  const float height = static_cast<float>(frame->source_frame_height);
  const float sx = surface.width > 0 ? width / static_cast<float>(surface.width) : 1.f;
  const float sy = surface.height > 0 ? height / static_cast<float>(surface.height) : 1.f;

  auto report = std::make_unique<DsFrame>();
  std::vector<EventObject> events;
  std::vector<NvDsObjectMeta*> removed;
  for (NvDsMetaList* l = frame->obj_meta_list; l != nullptr; l = l->next) {
    auto* object = static_cast<NvDsObjectMeta*>(l->data);
    const int prompt = prompts.IndexOfClass(object->class_id);
    if (prompt < 0) {  // decoded with prompts the stream no longer has (a tracker carries them a while)
      removed.push_back(object);
      continue;
    }
    const std::string& label = prompts.labels[static_cast<size_t>(prompt)];
    Style(*object, label, prompt, style);
    Detection box;
    if (!inferred || !SourceBox(*object, sx, sy, width, height, box)) continue;
    const bool tracked = object->object_id != UNTRACKED_OBJECT_ID;
    report->labels.push_back(label);
    report->scores.push_back(object->confidence);
    report->boxes.insert(report->boxes.end(), {box.x0, box.y0, box.x1, box.y1});
    report->track_ids.push_back(tracked ? static_cast<double>(object->object_id) : -1.0);
    events.push_back({object->object_id, object->class_id, box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0,
                      object->confidence, &label});
  }
  for (NvDsObjectMeta* object : removed) nvds_remove_obj_meta_from_frame(frame, object);
  if (!inferred) return;

  const uint64_t inferred_count = view.counters->inferred.fetch_add(1, std::memory_order_relaxed);
  std::string timestamp;
  for (const DsMessageOutput& output : context.messages) {
    if (events.empty() || inferred_count % static_cast<uint64_t>(std::max(1, output.interval)) != 0) continue;
    if (timestamp.empty()) timestamp = Rfc3339Now();
    for (const EventObject& event : events) {
      AttachEventMessage(batch, frame, event, view.sensor_id, frame_id, timestamp, output.component_id);
    }
  }
  report->stream = view.id;
  report->frame_id = frame_id;
  report->width = static_cast<int>(frame->source_frame_width);
  report->height = static_cast<int>(frame->source_frame_height);
  if (context.on_frame(std::move(report))) {
    view.counters->frames_to_js.fetch_add(1, std::memory_order_relaxed);
  } else {
    view.counters->frames_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

void ReportBatch(NvDsBatchMeta* batch, const ReportContext& context) {
  for (NvDsMetaList* l = batch->frame_meta_list; l != nullptr; l = l->next) {
    auto* frame = static_cast<NvDsFrameMeta*>(l->data);
    const std::shared_ptr<const StreamView> view = context.streams.Get(frame->source_id);
    if (view != nullptr) ReportFrame(batch, frame, *view, context);
  }
}

}  // namespace owl::ds
