// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK, or against the test-only stand-in headers (native/test/nvds_shim).
#include "deepstream/decode_probe.h"

#include <exception>
#include <vector>

#include "deepstream/tensor_decode.h"

namespace owl::ds {
namespace {

// nvinfer's tensor output of this frame (a primary nvinfer attaches one per inferred frame), or null.
const NvDsInferTensorMeta* TensorsOf(const NvDsFrameMeta& frame) {
  for (NvDsMetaList* l = frame.frame_user_meta_list; l != nullptr; l = l->next) {
    const auto* user = static_cast<const NvDsUserMeta*>(l->data);
    if (user->base_meta.meta_type == NVDSINFER_TENSOR_OUTPUT_META) {
      return static_cast<const NvDsInferTensorMeta*>(user->user_meta_data);
    }
  }
  return nullptr;
}

void Attach(NvDsBatchMeta* batch, NvDsFrameMeta* frame, const Detection& d, const StreamPrompts& prompts) {
  NvDsObjectMeta* object = nvds_acquire_obj_meta_from_pool(batch);
  object->unique_component_id = 1;  // nvinfer's gie-unique-id (nvinfer-config.ts)
  object->class_id = prompts.class_ids[static_cast<size_t>(d.label)];
  object->object_id = UNTRACKED_OBJECT_ID;
  object->confidence = d.score;
  NvOSD_RectParams& rect = object->rect_params;
  rect.left = d.x0;
  rect.top = d.y0;
  rect.width = d.x1 - d.x0;
  rect.height = d.y1 - d.y0;
  object->detector_bbox_info.org_bbox_coords = {rect.left, rect.top, rect.width, rect.height};
  g_strlcpy(object->obj_label, prompts.labels[static_cast<size_t>(d.label)].c_str(), MAX_LABEL_SIZE);
  nvds_add_obj_meta_to_frame(frame, object, nullptr);
}

}  // namespace

void DecodeBatch(NvDsBatchMeta* batch, const StreamTable& streams, const DecodeOptions& options, MuxGeometry mux,
                 const std::function<void(const std::string&)>& on_error) {
  for (NvDsMetaList* l = batch->frame_meta_list; l != nullptr; l = l->next) {
    auto* frame = static_cast<NvDsFrameMeta*>(l->data);
    const NvDsInferTensorMeta* tensors = TensorsOf(*frame);
    if (tensors == nullptr) continue;  // skipped by nvinfer's interval
    const std::shared_ptr<const StreamView> view = streams.Get(frame->source_id);
    if (view == nullptr) continue;  // a removed stream's last frames
    frame->bInferDone = TRUE;
    const std::shared_ptr<const StreamPrompts> prompts = view->prompts;  // one set for the whole frame
    const MuxGeometry surface = SurfaceOf(*frame, mux);
    std::vector<Detection> detections;
    try {
      detections = DecodeFrame(FrameTensors(*tensors), prompts->set, surface.width, surface.height, options);
    } catch (const std::exception& e) {
      on_error(e.what());
      continue;
    }
    for (const Detection& d : detections) Attach(batch, frame, d, *prompts);
  }
}

}  // namespace owl::ds
