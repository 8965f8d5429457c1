// SessionManager: owns one wa::client::Client per WhatsApp session and is the glue between the
// protocol client, storage, webhooks and the live feed.
//
//  * start() restores every stored session and reconnects it from its SQL device store (no new
//    QR for a linked device); LOGGED_OUT sessions are restored but not connected.
//  * create() validates the id ([A-Za-z0-9_-]{1,64}), enforces MAX_SESSIONS, writes the session
//    row (with a fresh webhook secret) and a session token (stored hashed; the plaintext is
//    returned once), then connects the client, which starts producing QR codes.
//  * A session never linked within SESSION_TIMEOUT_HOURS of its creation is removed.
//  * State machine: CREATING → CONNECTING → GENERATING_QR → CONNECTING → CONNECTED, and
//    DISCONNECTED (with the client's classified reason) / LOGGED_OUT (until re-linked). Every
//    change is persisted together with its `session-status` webhook in one DB transaction, then
//    published on the live feed. The current QR and its expiry are kept in memory for the QR route.
//  * send() resolves what the message refers to (reply target, reacted / edited / revoked
//    message: this session's messages table, in or out), records the outbound message as
//    "queued" (with the caller's idempotency key and the final protobuf) BEFORE it answers, then
//    hands it to the client; the client's ack and the receipts move the record forward
//    (sent/delivered/read/played/failed), each with its `message-status` webhook. Media messages
//    (OutgoingMedia) read the uploaded file, check its type fits, upload it through the client,
//    then send. Messages of every type still "queued" from an earlier run (accepted, never acked:
//    the client's queue is in memory) are handed to the client again, same id, at the first
//    login once the server's offline backlog was processed (its delivery receipts mark messages
//    that did reach the peer before the crash: those are not sent twice); media are read and
//    uploaded again. Only a message the server took but whose receipt is not back yet can still
//    reach a peer twice (same id, which WhatsApp clients deduplicate).
//  * ensure_qr() on a LOGGED_OUT session clears its old device credentials and starts a fresh
//    registration (a new QR), so a logged-out session can be linked again.
//  * Inbound messages are recorded and their `new-message` webhook queued in one transaction.
//    The record is deduplicated on (session, chat, id), so the client's at-least-once delivery
//    never produces two webhooks.
//
// Ownership: the manager owns the sessions (client, transport environment, device store); it
// borrows the io_context, Services, the webhook publisher and the live hub, which must outlive
// it. Call stop() before the Services' pool is stopped.
// Threading: every public method, and every client, runs on the network thread (the io_context
// is run by one thread). SQL runs on the Services pool, one job at a time per session (a
// per-session serial queue keeps status changes and webhooks in order).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "gateway/live/hub.h"
#include "proto/message.pb.h"
#include "storage/session_repositories.h"
#include "wa/client/client.h"
#include "wa/client/messages.h"
#include "wa/pairing/credentials.h"
#include "wa/transport/config.h"

namespace boost::asio {
class io_context;
}

namespace gw {
class Services;
namespace webhooks {
class WebhookPublisher;
class WebhookSettings;
}  // namespace webhooks
}  // namespace gw

namespace gw::sessions {

enum class State { kCreating, kGeneratingQr, kConnecting, kConnected, kDisconnected, kLoggedOut };
std::string_view state_name(State s);
std::optional<State> parse_state(std::string_view name);

// [A-Za-z0-9_-]{1,64}: the id is used in SQL keys, URLs and (never) file paths.
bool valid_session_id(std::string_view id);

// The state a client connection event moves a session to, with its reason ("" when none).
struct Transition {
  State state;
  std::string reason;
  std::string detail;
};
// nullopt: the event does not change the session's visible state (e.g. kPairing before a QR).
std::optional<Transition> transition_for(const wa::client::ConnectionEvent& e);

// Where the clients connect (the real WhatsApp endpoint, or a simulator).
struct Endpoint {
  wa::transport::TransportConfig transport;
  wa::transport::TlsConfig media_tls;
};

// The public picture of one session (REST and live feed). Never carries a token.
struct SessionSnapshot {
  std::string id;
  State state = State::kCreating;
  std::string detail;
  std::string reason;
  std::string qr;  // "" when none
  int64_t qr_expires_at = 0;
  std::optional<std::string> owner_id;
  std::string owner;  // owner e-mail or "system"
  std::string jid;    // own device JID once linked
  long long created_at = 0;
  bool paired = false;
  bool reconnecting = false;  // DISCONNECTED with a reconnect scheduled (not a terminal stop)
};
nlohmann::json snapshot_json(const SessionSnapshot& s);

// Whether send() takes a message for the session: CONNECTED, or linked and only temporarily
// away (CONNECTING / DISCONNECTED with a reconnect under way). Messages taken while away are
// persisted as "queued" and sent after the next login, like those of an earlier run.
bool accepts_messages(const SessionSnapshot& s);

// A media message: the uploaded file (POST /api/v1/media) to encrypt, upload and send.
struct OutgoingMedia {
  std::string media_id;
  std::string link;  // set by the parser for `link` media; the API turns it into media_id first
  wa::client::MediaKind kind = wa::client::MediaKind::kImage;
  wa::client::MediaOptions options;  // mimetype is taken from the stored (sniffed) type
  bool any_owner = false;            // admin caller: any uploaded file may be used
};

// Whether an upload of (sniffed) MIME type `mime` may be sent as `kind` (a video must be an
// mp4, a sticker a webp…). Documents take every accepted upload.
bool media_type_fits(wa::client::MediaKind kind, const std::string& mime);

// What a reaction, edit or revoke refers to. Resolved against this session's messages table
// before the message is queued: NotFound when the session neither sent nor received it.
struct MessageTarget {
  enum class Use { kReaction, kEdit, kRevoke };
  Use use = Use::kReaction;
  std::string message_id;
  std::string text;  // the emoji ("" removes the reaction) or the new text of an edit
};

struct OutgoingMessage {
  std::optional<OutgoingMedia> media;
  std::string to_jid;
  // text, image, video, audio, document, sticker, location, contact, reaction, edit, revoke
  std::string type;
  // The public content (GET /api/v1/messages/:id shows it). Keys starting with '_' are private:
  // send() adds "_wa" (the final waproto::Message, base64) and, for media, "_media" (what a
  // resend after a restart needs to upload the file again).
  nlohmann::json body = nlohmann::json::object();
  // The message. For media it holds only what the upload does not produce (the caption's
  // contextInfo: mentions, reply); it is merged into make_media()'s result after the upload.
  // For reaction / edit / revoke it is built by send() from `target`.
  waproto::Message message;
  std::optional<std::string> idempotency_key;
  // Reply target: a message this session sent or received in this chat (contextInfo.stanzaId,
  // participant and quotedMessage are filled in by send()). NotFound otherwise.
  std::optional<std::string> quoted_id;
  std::optional<MessageTarget> target;
};

struct SendOutcome {
  storage::MessageRecord record;
  bool duplicate = false;  // the idempotency key was used before: nothing was sent again
};

// How long a reconnected session waits for the server's end-of-offline-backlog marker before
// resending messages a previous run left unacknowledged.
inline constexpr std::chrono::seconds kOfflineSyncWait{10};

class SessionManager {
 public:
  struct Options {
    int max_sessions = 10;
    std::chrono::seconds link_timeout{24 * 3600};
    Endpoint endpoint;
    wa::pairing::DeviceConfig device;
  };

  SessionManager(boost::asio::io_context& io, Services& services,
                 webhooks::WebhookPublisher& publisher, webhooks::WebhookSettings& settings,
                 live::LiveHub* hub, Options options);
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // Loads every stored session (blocking, before io.run()) and connects the linkable ones.
  core::Status start();
  // Disconnects every client (no logout); pending SQL work still completes.
  void stop();

  struct Created {
    std::string token;           // shown once
    std::string webhook_secret;  // shown once
  };
  void create(const std::string& id, const std::optional<std::string>& owner_id,
              const std::string& owner_email, std::function<void(core::Result<Created>)> done);
  // Logs the device out when linked, then deletes the session and everything it owns.
  void remove(const std::string& id, std::function<void(core::Status)> done);
  void logout(const std::string& id, std::function<void(core::Status)> done);
  void request_pair_code(const std::string& id, const std::string& phone,
                         std::function<void(core::Result<std::string>)> done);
  // Restarts a stopped, unlinked client so it produces QR codes again. On a LOGGED_OUT session:
  // wipes its old device (credentials, Signal state) and starts a fresh registration with a new
  // client (CONNECTING, then GENERATING_QR with a new QR).
  void ensure_qr(const std::string& id);

  std::optional<SessionSnapshot> find(const std::string& id) const;
  // The session's client while it is CONNECTED (nullptr otherwise), for queries that are not
  // sends (groups, contact checks). The pointer keeps the session (and so the client) alive
  // until released; callbacks the client runs after a removal report an error.
  std::shared_ptr<wa::client::Client> connected_client(const std::string& id) const;
  std::vector<SessionSnapshot> list() const;
  std::vector<live::SessionView> views() const;
  size_t size() const { return sessions_.size(); }

  // Since start: messages received (decrypted, before deduplication) and outbound messages the
  // server acknowledged. For /metrics (superlight_messages_in_total / _out_total).
  uint64_t messages_in() const { return messages_in_; }
  uint64_t messages_out() const { return messages_out_; }

  // NotFound (unknown, or !accepts_messages) or the queued (or earlier, duplicate) record.
  void send(const std::string& id, OutgoingMessage message,
            std::function<void(core::Result<SendOutcome>)> done);

  // A new random message id in WhatsApp's style (3EB0 + 16 hex).
  std::string new_message_id();

  struct Session;

 private:
  friend struct Session;
  std::shared_ptr<Session> make_session(const storage::WaSession& row, const std::string& owner);
  std::unique_ptr<wa::client::Client> make_client(Session& s);
  void connect(const std::shared_ptr<Session>& s);
  void relink(const std::shared_ptr<Session>& s);
  void set_state(const std::shared_ptr<Session>& s, State state, std::string detail,
                 std::string reason);
  void publish_live();
  void arm_link_timeout(const std::shared_ptr<Session>& s);
  void finish_remove(const std::shared_ptr<Session>& s, std::function<void(core::Status)> done);
  // Runs `work` on the pool after the session's earlier jobs, then `then` on the network thread.
  void serial(const std::shared_ptr<Session>& s, std::function<void()> work,
              std::function<void()> then = {});
  void pump(const std::shared_ptr<Session>& s);

  void on_message(const std::shared_ptr<Session>& s, const wa::client::MessageEvent& e);
  // Uploads `bytes`, builds the media message (plus `extra`: caption contextInfo) and sends it
  // with id `mid`; an upload failure marks the message failed.
  void upload_and_send(const std::shared_ptr<Session>& s, const std::string& chat,
                       const std::string& mid, const OutgoingMedia& media, waproto::Message extra,
                       core::Bytes bytes);
  // Hands the messages a previous run left "queued" to the client again (first login).
  // Resends once the offline backlog was processed (OfflineSyncEvent or kOfflineSyncWait).
  void await_offline_sync(const std::shared_ptr<Session>& s);
  void send_resends(const std::shared_ptr<Session>& s, std::vector<storage::MessageRecord> records);
  void resend_queued(const std::shared_ptr<Session>& s);
  void on_status(const std::shared_ptr<Session>& s, const std::string& message_id,
                 const std::string& status, const std::optional<std::string>& error);

  boost::asio::io_context& io_;
  Services& services_;
  webhooks::WebhookPublisher& publisher_;
  webhooks::WebhookSettings& settings_;
  live::LiveHub* hub_;
  Options options_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  uint64_t messages_in_ = 0;
  uint64_t messages_out_ = 0;
  int creating_ = 0;  // reserved slots for creations in flight (MAX_SESSIONS)
  bool stopped_ = false;
};

}  // namespace gw::sessions
