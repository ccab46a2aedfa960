// SPDX-License-Identifier: Apache-2.0
// GStreamer initialisation and GError -> ErrorInfo (domain and code as fields, never parsed from text).
#pragma once

#include <gst/gst.h>

#include <initializer_list>
#include <string>

#include "common/coded_error.h"

namespace owl {

/**
 * [sync] gst_init once per process (and GLib keeps no idle pool threads, so stopped pipelines leave none);
 * throws CodedError "EGSTINIT" if GStreamer cannot initialise.
 */
void EnsureGstInit();

/**
 * message = context + ": " + error->message; domain = the GError quark name (e.g. "gst-resource-error-quark");
 * code = the enum value name where GLib/GStreamer registers one (e.g. "GST_RESOURCE_ERROR_NOT_FOUND"),
 * else the number.
 */
ErrorInfo ErrorFromGError(const GError* error, const std::string& context);

/**
 * An ERROR bus message as ErrorInfo; context and source = the name of the element that posted it. Where the element
 * gave only GStreamer's generic text for the code (e.g. "Could not configure supporting library."), its own words
 * from the debug string follow in parentheses.
 */
ErrorInfo ErrorFromMessage(GstMessage* message);

/** [sync] Throws CodedError "ENOPLUGIN" naming the first factory that is not installed. */
void RequireElements(std::initializer_list<const char*> factories);

/** [sync] Builds an element by factory name; throws CodedError "ENOPLUGIN" naming the plugin to install. */
GstElement* MakeElement(const char* factory, const char* name = nullptr);

}  // namespace owl
