// Repositories for what a WhatsApp session produces: the session rows themselves (status,
// webhook, settings), the message log with its status history, the webhook outbox with its
// delivery log, and media files. Message writes join the caller's open transaction when there is
// one on this thread (see database.h), which is how an inbound message is recorded in the same
// DB transaction as the ratchet advance that decrypted it.
//
// Ownership: repositories hold references to Database, SecretBox, Clock and Random; they must
// outlive it.
// Threading: thread-safe; calls block — run them on the BlockingExecutor.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/secret_box.h"

namespace storage {

struct WaSession {
  std::string id{};  // [A-Za-z0-9_-]{1,64}
  std::optional<std::string> name{};
  std::optional<std::string> owner_id{};
  std::string status = "created";
  std::optional<std::string> detail{};
  std::optional<std::string> reason{};
  std::optional<std::string> webhook_url{};
  std::optional<std::string> webhook_secret{};  // plaintext here; sealed in the database
  std::string settings_json = "{}";
  long long created_at = 0;
  long long updated_at = 0;
  std::optional<long long> last_connected_at{};
};

class WaSessionRepository {
 public:
  WaSessionRepository(Database& db, const SecretBox& box, const core::Clock& clock)
      : db_(db), box_(box), clock_(clock) {}

  static bool valid_id(std::string_view id);

  // InvalidArgument for a bad id, AlreadyExists for a taken one.
  core::Result<WaSession> create(WaSession session);
  // Creates the session if it does not exist (legacy import); returns whether it was created.
  core::Result<bool> ensure(const std::string& id, const std::optional<std::string>& owner_id);
  core::Result<std::optional<WaSession>> find(const std::string& id);
  core::Result<std::vector<WaSession>> list();
  core::Result<std::vector<WaSession>> list_by_owner(const std::string& owner_id);
  core::Status update_status(const std::string& id, const std::string& status,
                             const std::optional<std::string>& detail,
                             const std::optional<std::string>& reason);
  core::Status set_webhook(const std::string& id, const std::optional<std::string>& url,
                           const std::optional<std::string>& secret);
  core::Status set_settings(const std::string& id, const std::string& settings_json);
  core::Status set_owner(const std::string& id, const std::optional<std::string>& owner_id);
  // Deletes the session and, by cascade, its device state, tokens and messages.
  core::Status remove(const std::string& id);

 private:
  core::Result<std::vector<WaSession>> select(const std::string& where, const std::string& value);
  Database& db_;
  const SecretBox& box_;
  const core::Clock& clock_;
};

struct MessageRecord {
  long long row_id = 0;
  std::string session_id{};
  std::string direction{};  // "in" | "out"
  std::string chat_jid{};
  std::optional<std::string> sender_jid{};
  std::string message_id{};
  std::string type = "text";
  std::string body_json = "{}";
  std::string status{};  // received | queued | sent | delivered | read | played | failed
  std::optional<std::string> error{};
  std::optional<std::string> idempotency_key{};
  long long message_ts = 0;
  long long created_at = 0;
  long long updated_at = 0;
};

struct MessageStatusChange {
  std::string status{};
  long long at = 0;
  std::optional<std::string> detail{};
};

class MessageRepository {
 public:
  MessageRepository(Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  // Records an inbound message (status "received") and its first history row. Returns false
  // when the same (session, chat, message id) was already recorded — the caller then acks
  // without processing again.
  core::Result<bool> record_inbound(MessageRecord& message);
  // Queues an outbound message. With an idempotency key already used in this session, returns
  // the existing record unchanged instead of queueing a second one.
  core::Result<MessageRecord> enqueue_outbound(MessageRecord message);
  // Moves an outbound message forward (queued → sent → delivered → read → played); a status
  // that would go backwards is ignored (receipts arrive out of order). "failed" is accepted
  // from queued/sent. NotFound for an unknown message.
  core::Status update_status(const std::string& session_id, const std::string& message_id,
                             const std::string& status,
                             const std::optional<std::string>& error = std::nullopt);
  core::Result<std::optional<MessageRecord>> find(const std::string& session_id,
                                                  const std::string& chat_jid,
                                                  const std::string& direction,
                                                  const std::string& message_id);
  core::Result<std::optional<MessageRecord>> find_outbound(const std::string& session_id,
                                                           const std::string& message_id);
  core::Result<std::optional<MessageRecord>> find_by_idempotency_key(const std::string& session_id,
                                                                     const std::string& key);
  // Newest first, older than before_ts (exclusive; 0 = no bound).
  core::Result<std::vector<MessageRecord>> list_chat(const std::string& session_id,
                                                     const std::string& chat_jid,
                                                     long long before_ts, int limit);
  // Outbound messages of the session still "queued" (accepted, never acked), oldest first.
  core::Result<std::vector<MessageRecord>> queued_outbound(const std::string& session_id);
  core::Result<std::vector<MessageStatusChange>> history(long long row_id);
  core::Result<long long> count(const std::string& session_id);

 private:
  core::Result<std::vector<MessageRecord>> select(const std::string& where_sql,
                                                  const std::vector<std::string>& args,
                                                  const std::string& tail = "");
  Database& db_;
  const core::Clock& clock_;
};

struct WebhookEvent {
  long long id = 0;
  std::string event_id{};  // unique; producers derive it from the source so retries dedupe
  std::optional<std::string> session_id{};
  std::string event_type{};
  std::string payload_json{};
  int attempts = 0;
  long long next_attempt_at = 0;
  std::optional<std::string> last_error{};
  long long created_at = 0;
  std::optional<long long> delivered_at{};
  std::optional<long long> failed_at{};
};

struct WebhookDelivery {
  int attempt = 0;
  long long at = 0;
  std::optional<int> http_status{};
  std::optional<std::string> error{};
  std::optional<int> duration_ms{};
};

class WebhookOutboxRepository {
 public:
  WebhookOutboxRepository(Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  // False when an event with this event_id is already queued (idempotent producers).
  core::Result<bool> enqueue(WebhookEvent event);
  // Undelivered, not given up, next_attempt_at <= now; oldest due first.
  core::Result<std::vector<WebhookEvent>> due(int limit);
  core::Result<std::optional<WebhookEvent>> find(const std::string& event_id);
  core::Status mark_delivered(long long id, int http_status, int duration_ms);
  // Records a failed attempt; schedules the next one at next_attempt_at, or gives up when
  // next_attempt_at is nullopt.
  core::Status mark_failed(long long id, const std::string& error, std::optional<int> http_status,
                           int duration_ms, std::optional<long long> next_attempt_at);
  core::Result<std::vector<WebhookDelivery>> deliveries(long long id);
  core::Result<long long> purge_finished_before(long long ts);

 private:
  Database& db_;
  const core::Clock& clock_;
};

struct MediaFile {
  std::string id{};
  std::optional<std::string> session_id{};
  std::optional<std::string> owner_id{};
  std::string path{};
  std::string sha256;  // lowercase hex
  std::string mime{};
  long long size = 0;
  std::optional<std::string> original_name{};
  long long created_at = 0;
  std::optional<long long> expires_at{};
};

class MediaRepository {
 public:
  MediaRepository(Database& db, const core::Clock& clock, core::Random& random)
      : db_(db), clock_(clock), random_(random) {}

  core::Result<MediaFile> add(MediaFile file);  // id generated when empty
  core::Result<std::optional<MediaFile>> find(const std::string& id);
  core::Result<std::optional<MediaFile>> find_by_sha256(const std::string& sha256);
  core::Result<std::vector<MediaFile>> list_by_owner(const std::string& owner_id);
  core::Result<std::vector<MediaFile>> expired(long long now, int limit);
  core::Status remove(const std::string& id);

 private:
  core::Result<std::vector<MediaFile>> select(const std::string& where_sql, const std::string& arg,
                                              const std::string& tail);
  Database& db_;
  const core::Clock& clock_;
  core::Random& random_;
};

}  // namespace storage
