// Webhook events: builders for the JSON bodies we POST (the Node server's `session-status` and
// `new-message` shapes, kept field for field, plus `message-status` and the generic
// `campaign-*`), event ids, and the conversion to an outbox row.
//
// An event id is what receivers dedupe on (header X-Event-Id). It is fixed when the event is
// built, before it is written to the outbox, and never changes across retries or replays.
// Producers that may emit the same fact twice (a receipt seen again after a reconnect) should
// use derived_event_id() so the outbox's unique index drops the duplicate.
//
// Ownership: plain values. Threading: pure functions (random_event_id uses the caller's Random).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/status.h"
#include "storage/session_repositories.h"

namespace gw::webhooks {

inline constexpr std::string_view kSessionStatus = "session-status";
inline constexpr std::string_view kNewMessage = "new-message";
inline constexpr std::string_view kMessageStatus = "message-status";
inline constexpr std::string_view kCampaignPrefix = "campaign-";

struct Event {
  std::string id;                         // X-Event-Id: uuid text
  std::string type;                       // the body's "event" field
  std::optional<std::string> session_id;  // whose URL/secret/ordering applies
  nlohmann::json body;                    // serialised once, at enqueue; signed as stored
};

// A random (version 4) uuid.
std::string random_event_id(core::Random& random);
// A uuid-shaped id derived from `source_key` (SHA-256, RFC 9562 version-8 layout): the same
// fact always gets the same id, e.g. derived_event_id("status|s1|3EB0…|read").
std::string derived_event_id(std::string_view source_key);

// {event:"session-status", sessionId, status, detail, reason}; detail/reason omitted when
// absent, as the Node server's JSON.stringify did with undefined.
Event session_status_event(std::string id, std::string_view session_id, std::string_view status,
                           const std::optional<std::string>& detail,
                           const std::optional<std::string>& reason);

// {event:"new-message", sessionId, from, messageId, timestamp, data}; `data` is the message as
// WhatsApp's WebMessageInfo rendered to JSON by the caller; `timestamp` is its
// messageTimestamp (unix seconds).
Event new_message_event(std::string id, std::string_view session_id, std::string_view from,
                        std::string_view message_id, int64_t timestamp, nlohmann::json data);

enum class MessageStatus { kSent, kDelivered, kRead, kFailed };
std::string_view message_status_name(MessageStatus status);
// "sent" | "delivered" | "read" | "failed"; InvalidArgument otherwise.
core::Result<MessageStatus> parse_message_status(std::string_view name);

// {event:"message-status", sessionId, messageId, to, status, error?, timestamp (unix seconds)}.
Event message_status_event(std::string id, std::string_view session_id, std::string_view message_id,
                           std::string_view to, MessageStatus status,
                           const std::optional<std::string>& error, int64_t timestamp);

// {event:"campaign-<kind>", sessionId?, ...fields}. `fields` must be a JSON object; its own
// "event"/"sessionId" keys are overwritten. InvalidArgument for an empty or odd kind (only
// [a-z0-9-]) or a non-object.
core::Result<Event> campaign_event(std::string id, std::string_view kind,
                                   const std::optional<std::string>& session_id,
                                   nlohmann::json fields);

// The outbox row for `event` (payload = body.dump(), due now).
storage::WebhookEvent to_outbox(const Event& event);

// The X-Event-Id of an outbox row: replay copies carry "<id>~<tag>" in the event_id column
// (the column is unique) and are sent with the original id.
std::string_view header_event_id(std::string_view outbox_event_id);

}  // namespace gw::webhooks
