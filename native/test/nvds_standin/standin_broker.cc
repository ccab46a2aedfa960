// SPDX-License-Identifier: Apache-2.0
#include "standin_broker.h"

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>
#include <gstnvdsmeta.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "standin_payload.h"

namespace owl_standin {
namespace {

struct StandinBroker {
  GstBaseSink parent;
  gchar* conn_str;
  gchar* topic;
  guint comp_id;
  int fd;
};
struct StandinBrokerClass {
  GstBaseSinkClass parent_class;
};
G_DEFINE_TYPE(StandinBroker, standin_broker, GST_TYPE_BASE_SINK)

enum { kPropProtoLib = 1, kPropConnStr, kPropConfig, kPropTopic, kPropCompId };

// "host;port" as the Redis adaptor reads conn-str; -1 when nothing answers there.
int Connect(const std::string& conn_str) {
  const auto split = conn_str.find(';');
  if (split == std::string::npos) return -1;
  const std::string host = conn_str.substr(0, split);
  const std::string port = conn_str.substr(split + 1, conn_str.find(';', split + 1) - split - 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd >= 0) {
    const timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// One RESP reply line; XADD answers a bulk string (the entry id) or an error.
bool ReadReply(int fd) {
  std::string line;
  char c = 0;
  while (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n") != 0) {
    if (recv(fd, &c, 1, 0) != 1) return false;
    line += c;
  }
  if (line[0] != '$') return false;
  const long length = std::strtol(line.c_str() + 1, nullptr, 10);
  std::string rest(static_cast<size_t>(length) + 2, '\0');
  for (size_t got = 0; got < rest.size();) {
    const ssize_t n = recv(fd, &rest[got], rest.size() - got, 0);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return length > 0;
}

std::string Bulk(const std::string& value) { return "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n"; }

gboolean BrokerStart(GstBaseSink* sink) {
  auto* self = reinterpret_cast<StandinBroker*>(sink);
  self->fd = Connect(self->conn_str != nullptr ? self->conn_str : "");
  if (self->fd < 0) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, (nullptr), ("unable to connect to broker library"));
    return FALSE;
  }
  return TRUE;
}

gboolean BrokerStop(GstBaseSink* sink) {
  auto* self = reinterpret_cast<StandinBroker*>(sink);
  if (self->fd >= 0) close(self->fd);
  self->fd = -1;
  return TRUE;
}

GstFlowReturn BrokerRender(GstBaseSink* sink, GstBuffer* buffer) {
  auto* self = reinterpret_cast<StandinBroker*>(sink);
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(buffer);
  if (batch == nullptr) return GST_FLOW_OK;
  const std::string topic = self->topic != nullptr ? self->topic : "";
  for (const std::string& payload : MinimalPayloads(batch, self->comp_id)) {
    const std::string command = "*5\r\n" + Bulk("XADD") + Bulk(topic) + Bulk("*") + Bulk("metadata") + Bulk(payload);
    if (!SendAll(self->fd, command) || !ReadReply(self->fd)) {
      GST_ELEMENT_ERROR(self, LIBRARY, FAILED, (nullptr), ("failed to send the message. err(1)"));
      return GST_FLOW_ERROR;
    }
  }
  return GST_FLOW_OK;
}

void BrokerSetProperty(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  auto* self = reinterpret_cast<StandinBroker*>(object);
  switch (id) {
    case kPropConnStr:
      g_free(self->conn_str);
      self->conn_str = g_value_dup_string(value);
      break;
    case kPropTopic:
      g_free(self->topic);
      self->topic = g_value_dup_string(value);
      break;
    case kPropCompId:
      self->comp_id = g_value_get_uint(value);
      break;
    case kPropProtoLib:
    case kPropConfig:
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void BrokerGetProperty(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  auto* self = reinterpret_cast<StandinBroker*>(object);
  switch (id) {
    case kPropConnStr:
      g_value_set_string(value, self->conn_str);
      break;
    case kPropTopic:
      g_value_set_string(value, self->topic);
      break;
    case kPropCompId:
      g_value_set_uint(value, self->comp_id);
      break;
    case kPropProtoLib:
    case kPropConfig:
      g_value_set_string(value, nullptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void BrokerFinalize(GObject* object) {
  auto* self = reinterpret_cast<StandinBroker*>(object);
  g_free(self->conn_str);
  g_free(self->topic);
  G_OBJECT_CLASS(standin_broker_parent_class)->finalize(object);
}

void standin_broker_init(StandinBroker* self) {
  self->conn_str = nullptr;
  self->topic = nullptr;
  self->comp_id = 0;
  self->fd = -1;
}

GstStaticPadTemplate kBrokerSink = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

void standin_broker_class_init(StandinBrokerClass* klass) {
  GObjectClass* object = G_OBJECT_CLASS(klass);
  object->set_property = BrokerSetProperty;
  object->get_property = BrokerGetProperty;
  object->finalize = BrokerFinalize;
  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  // As nvmsgbroker's: the adaptor library and its config (not read here), "host;port", the Redis stream key, and the
  // component whose payloads it sends (0: all).
  g_object_class_install_property(object, kPropProtoLib, g_param_spec_string("proto-lib", "", "", nullptr, flags));
  g_object_class_install_property(object, kPropConnStr, g_param_spec_string("conn-str", "", "", nullptr, flags));
  g_object_class_install_property(object, kPropConfig, g_param_spec_string("config", "", "", nullptr, flags));
  g_object_class_install_property(object, kPropTopic, g_param_spec_string("topic", "", "", nullptr, flags));
  g_object_class_install_property(object, kPropCompId, g_param_spec_uint("comp-id", "", "", 0, G_MAXUINT, 0, flags));
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_static_pad_template(element, &kBrokerSink);
  gst_element_class_set_static_metadata(element, "nvmsgbroker stand-in (Redis)", "Sink", "TEST-ONLY stand-in",
                                        "owl-stream");
  GstBaseSinkClass* base = GST_BASE_SINK_CLASS(klass);
  base->start = BrokerStart;
  base->stop = BrokerStop;
  base->render = BrokerRender;
}

}  // namespace

GType BrokerType() { return standin_broker_get_type(); }

}  // namespace owl_standin
