#include "gateway/webhooks/event.h"

#include "core/encoding.h"
#include "crypto/hash.h"

namespace gw::webhooks {
namespace {

std::string uuid_text(core::Bytes b) {
  std::string hex = core::hex_encode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace

std::string random_event_id(core::Random& random) {
  core::Bytes b = random.bytes(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return uuid_text(std::move(b));
}

std::string derived_event_id(std::string_view source_key) {
  core::Bytes b = crypto::sha256(core::as_view(source_key));
  b.resize(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x80);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return uuid_text(std::move(b));
}

Event session_status_event(std::string id, std::string_view session_id, std::string_view status,
                           const std::optional<std::string>& detail,
                           const std::optional<std::string>& reason) {
  nlohmann::json body = {{"event", kSessionStatus}, {"sessionId", session_id}, {"status", status}};
  if (detail) body["detail"] = *detail;
  if (reason) body["reason"] = *reason;
  return Event{std::move(id), std::string(kSessionStatus), std::string(session_id),
               std::move(body)};
}

Event new_message_event(std::string id, std::string_view session_id, std::string_view from,
                        std::string_view message_id, int64_t timestamp, nlohmann::json data) {
  nlohmann::json body = {{"event", kNewMessage},   {"sessionId", session_id},
                         {"from", from},           {"messageId", message_id},
                         {"timestamp", timestamp}, {"data", std::move(data)}};
  return Event{std::move(id), std::string(kNewMessage), std::string(session_id), std::move(body)};
}

std::string_view message_status_name(MessageStatus status) {
  switch (status) {
    case MessageStatus::kSent:
      return "sent";
    case MessageStatus::kDelivered:
      return "delivered";
    case MessageStatus::kRead:
      return "read";
    case MessageStatus::kFailed:
      return "failed";
  }
  return "failed";
}

core::Result<MessageStatus> parse_message_status(std::string_view name) {
  for (MessageStatus s : {MessageStatus::kSent, MessageStatus::kDelivered, MessageStatus::kRead,
                          MessageStatus::kFailed}) {
    if (message_status_name(s) == name) return s;
  }
  return core::Status::invalid_argument("unknown message status \"" + std::string(name) + "\"");
}

Event message_status_event(std::string id, std::string_view session_id, std::string_view message_id,
                           std::string_view to, MessageStatus status,
                           const std::optional<std::string>& error, int64_t timestamp) {
  nlohmann::json body = {{"event", kMessageStatus},
                         {"sessionId", session_id},
                         {"messageId", message_id},
                         {"to", to},
                         {"status", message_status_name(status)}};
  if (error) body["error"] = *error;
  body["timestamp"] = timestamp;
  return Event{std::move(id), std::string(kMessageStatus), std::string(session_id),
               std::move(body)};
}

core::Result<Event> campaign_event(std::string id, std::string_view kind,
                                   const std::optional<std::string>& session_id,
                                   nlohmann::json fields) {
  if (kind.empty() || kind.size() > 40) {
    return core::Status::invalid_argument("campaign event kind must be 1..40 characters");
  }
  for (char c : kind) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return core::Status::invalid_argument("campaign event kind must match [a-z0-9-]+");
    }
  }
  if (!fields.is_object()) {
    return core::Status::invalid_argument("campaign event fields must be a JSON object");
  }
  std::string type = std::string(kCampaignPrefix) + std::string(kind);
  fields["event"] = type;
  if (session_id) {
    fields["sessionId"] = *session_id;
  } else {
    fields.erase("sessionId");
  }
  return Event{std::move(id), std::move(type), session_id, std::move(fields)};
}

storage::WebhookEvent to_outbox(const Event& event) {
  storage::WebhookEvent row;
  row.event_id = event.id;
  row.session_id = event.session_id;
  row.event_type = event.type;
  // Invalid UTF-8 from a peer must not throw here: replace it rather than lose the event.
  row.payload_json = event.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return row;
}

std::string_view header_event_id(std::string_view outbox_event_id) {
  size_t tilde = outbox_event_id.find('~');
  return tilde == std::string_view::npos ? outbox_event_id : outbox_event_id.substr(0, tilde);
}

}  // namespace gw::webhooks
