// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's gst-launch descriptions (ts/deepstream/pipeline-description.ts) as elements: the shared
// pipeline, and each stream's source and output bins. Errors name what to fix: a missing element is "ENOPLUGIN",
// any other parse error (unknown property, bad value, syntax) "EINVAL".
#pragma once

#include <gst/gst.h>

#include <string>

namespace owl::ds {

/** [sync] A pipeline from `description` (a full reference). Throws CodedError (see the file comment). */
GstElement* ParsePipeline(const std::string& description);

/**
 * [sync] A bin from `description` (a full reference) whose unlinked pads are ghosted ("src" / "sink"). `what`
 * names it in errors (e.g. "the source of stream cam1"). Throws CodedError (see the file comment).
 */
GstElement* ParseBin(const std::string& description, const std::string& what);

/** The element named `name` in `bin` (a full reference), or null. */
GstElement* ByName(GstElement* bin, const char* name);

}  // namespace owl::ds
