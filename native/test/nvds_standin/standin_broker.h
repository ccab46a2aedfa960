// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for nvmsgbroker with DeepStream's Redis adaptor (libnvds_redis_proto.so): a sink that connects
// to conn-str's `host;port` when it starts (failing the start, as nvmsgbroker does with "unable to connect to
// broker library", when nothing answers) and writes every payload of its component (comp-id, 0: all) with
// `XADD <topic> * metadata <payload>` (nvds_redis_client.cpp; payloadkey's default), failing the flow with
// "failed to send the message. err(1)" when Redis refuses or goes away (gstnvmsgbroker.cpp). The payloads are the
// stand-in nvmsgconv's (standin_payload.h), made here from the same event messages, since the stand-in converter
// attaches none. proto-lib and config are accepted and not read.
#pragma once

#include <glib-object.h>

namespace owl_standin {

/** The GType of `standin-nvmsgbroker`. */
GType BrokerType();

}  // namespace owl_standin
