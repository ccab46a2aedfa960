// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for DeepStream's gst_buffer_get_nvds_batch_meta (libnvdsgst_meta.so): where nvinfer
// would have attached object metadata, every buffer gets the same made-up batch of one 640x480 frame with
// three objects as nvinfer leaves them (class ids 0, 1 and 5; obj_label and display_text "nvinfer").
// Class 5 has no prompt, so the relabel probe must clear its text. One streaming thread at a time.
#include "nvds_meta_standin.h"

#include <gstnvdsmeta.h>

#include <mutex>

namespace owl::ds::standin {
namespace {

struct Batch {
  NvDsBatchMeta batch{};
  NvDsFrameMeta frame{};
  NvDsObjectMeta objects[3]{};
  GList frame_link{};
  GList object_links[3]{};
};

std::mutex g_mutex;
Batch g_batch;  // the batch of the buffer being probed, rebuilt per buffer

void Rebuild(Batch& b) {
  for (NvDsObjectMeta& object : b.objects) g_free(object.text_params.display_text);  // as the meta pool would
  b = Batch{};
  const struct { int class_id; float confidence, left, top, width, height; } made_up[3] = {
      {0, 0.9f, 10.f, 20.f, 100.f, 50.f}, {1, 0.6f, 200.f, 100.f, 50.f, 60.f}, {5, 0.3f, 0.f, 0.f, 10.f, 10.f}};
  for (int i = 0; i < 3; ++i) {
    NvDsObjectMeta& object = b.objects[i];
    object.class_id = made_up[i].class_id;
    object.confidence = made_up[i].confidence;
    object.rect_params = {made_up[i].left, made_up[i].top, made_up[i].width, made_up[i].height, 3};
    g_strlcpy(object.obj_label, "nvinfer", MAX_LABEL_SIZE);
    object.text_params.display_text = g_strdup("nvinfer");
    b.object_links[i].data = &object;
    b.object_links[i].next = i < 2 ? &b.object_links[i + 1] : nullptr;
  }
  b.frame.source_frame_width = kSourceWidth;
  b.frame.source_frame_height = kSourceHeight;
  b.frame.obj_meta_list = &b.object_links[0];
  b.frame_link.data = &b.frame;
  b.batch.num_frames_in_batch = 1;
  b.batch.frame_meta_list = &b.frame_link;
}

}  // namespace

ObjectTexts CurrentTexts() {
  std::lock_guard<std::mutex> lock(g_mutex);
  ObjectTexts texts;
  for (const NvDsObjectMeta& object : g_batch.objects) {
    texts.obj_labels.emplace_back(object.obj_label);
    texts.display_texts.emplace_back(object.text_params.display_text ? object.text_params.display_text : "(null)");
  }
  return texts;
}

}  // namespace owl::ds::standin

extern "C" NvDsBatchMeta* gst_buffer_get_nvds_batch_meta(GstBuffer*) {
  std::lock_guard<std::mutex> lock(owl::ds::standin::g_mutex);
  owl::ds::standin::Rebuild(owl::ds::standin::g_batch);
  return &owl::ds::standin::g_batch.batch;
}
