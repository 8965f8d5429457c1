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
//    DISCONNECTED (with the client's classified reason) / LOGGED_OUT (terminal). Every change is
//    persisted together with its `session-status` webhook in one DB transaction, then published
//    on the live feed. The current QR and its expiry are kept in memory for the QR route.
//  * send() records the outbound message as "queued" (with the caller's idempotency key) BEFORE
//    it answers, then hands it to the client; the client's ack and the receipts move the record
//    forward (sent/delivered/read/played/failed), each with its `message-status` webhook.
//    Media messages (OutgoingMedia) read the uploaded file, upload it through the client, then
//    send. Text messages still "queued" from an earlier run (accepted, never acked: the client's
//    queue is in memory) are handed to the client again, same id, at the first login.
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
};
nlohmann::json snapshot_json(const SessionSnapshot& s);

// A media message: the uploaded file (POST /api/v1/media) to encrypt, upload and send.
struct OutgoingMedia {
  std::string media_id;
  wa::client::MediaKind kind = wa::client::MediaKind::kImage;
  wa::client::MediaOptions options;  // mimetype is taken from the stored (sniffed) type
  bool any_owner = false;            // admin caller: any uploaded file may be used
};

struct OutgoingMessage {
  std::optional<OutgoingMedia> media;
  std::string to_jid;
  std::string type;  // "text"
  nlohmann::json body = nlohmann::json::object();
  waproto::Message message;
  std::optional<std::string> idempotency_key;
};

struct SendOutcome {
  storage::MessageRecord record;
  bool duplicate = false;  // the idempotency key was used before: nothing was sent again
};

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
  // Restarts a stopped, unlinked client so it produces QR codes again.
  void ensure_qr(const std::string& id);

  std::optional<SessionSnapshot> find(const std::string& id) const;
  // The session's client while it is CONNECTED (nullptr otherwise), for queries that are not
  // sends (groups, contact checks). The pointer keeps the session (and so the client) alive
  // until released; callbacks the client runs after a removal report an error.
  std::shared_ptr<wa::client::Client> connected_client(const std::string& id) const;
  std::vector<SessionSnapshot> list() const;
  std::vector<live::SessionView> views() const;
  size_t size() const { return sessions_.size(); }

  // NotFound / FailedPrecondition (not connected) or the queued (or earlier, duplicate) record.
  void send(const std::string& id, OutgoingMessage message,
            std::function<void(core::Result<SendOutcome>)> done);

  // A new random message id in WhatsApp's style (3EB0 + 16 hex).
  std::string new_message_id();

  struct Session;

 private:
  friend struct Session;
  std::shared_ptr<Session> make_session(const storage::WaSession& row, const std::string& owner);
  void connect(const std::shared_ptr<Session>& s);
  void set_state(const std::shared_ptr<Session>& s, State state, std::string detail,
                 std::string reason);
  void publish_live();
  void arm_link_timeout(const std::shared_ptr<Session>& s);
  void finish_remove(const std::shared_ptr<Session>& s, std::function<void(core::Status)> done);
  // Runs `work` on the pool after the session's earlier jobs, then `then` on the network thread.
  void serial(const std::shared_ptr<Session>& s, std::function<void()> work,
              std::function<void()> then = {});
  void pump(const std::shared_ptr<Session>& s);
  // Outbound messages of the session still "queued" (blocking; used at start).
  core::Result<std::vector<storage::MessageRecord>> queued_outbound(const std::string& session_id);

  void on_message(const std::shared_ptr<Session>& s, const wa::client::MessageEvent& e);
  void on_status(const std::shared_ptr<Session>& s, const std::string& message_id,
                 const std::string& status, const std::optional<std::string>& error);

  boost::asio::io_context& io_;
  Services& services_;
  webhooks::WebhookPublisher& publisher_;
  webhooks::WebhookSettings& settings_;
  live::LiveHub* hub_;
  Options options_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  int creating_ = 0;  // reserved slots for creations in flight (MAX_SESSIONS)
  bool stopped_ = false;
};

}  // namespace gw::sessions
