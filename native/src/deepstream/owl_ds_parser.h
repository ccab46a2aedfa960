// SPDX-License-Identifier: Apache-2.0
// The C interface of libowl_ds_parser.so besides the bbox parser itself: the process-wide prompt store
// that NvDsInferParseOwl reads. nvinfer dlopen()s this library from `custom-lib-path`; the addon links
// the same file, and the dynamic loader maps a file only once per process, so both see one store.
// Setters run on the JS thread; the parser runs on nvinfer's output thread and takes one snapshot per
// frame (an atomic shared_ptr load), so a prompt change never blocks the stream or tears a frame.
#pragma once

#define OWL_DS_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/**
 * [sync] Replaces the prompt set: q text embeddings of d floats (normalised here) and q thresholds in
 * [0,1]. q == 0 clears the prompts (the parser then returns no objects). Thread-safe.
 * Returns false (and keeps the previous set) on bad input; OwlDsLastError() says why.
 */
OWL_DS_EXPORT bool OwlDsSetPrompts(const float* embeds, int q, int d, const float* thresholds);

/**
 * [sync] Sets the decode options the parser uses: class-wise NMS IoU in [0,1] (0 = off) and the cap on
 * detections per frame (>= 1). Defaults: 0 and 100. Returns false on bad input; see OwlDsLastError().
 */
OWL_DS_EXPORT bool OwlDsSetDecodeOptions(float nms_iou, int max_detections);

/** Why the last failed setter call on this thread failed ("" if none). */
OWL_DS_EXPORT const char* OwlDsLastError(void);

#ifdef __cplusplus
}  // extern "C"
#endif
