#include "gateway/sessions/session_manager.h"

#include <soci/soci.h>

#include <algorithm>
#include <fstream>

#include <spdlog/spdlog.h>
#include "core/clock.h"

#include "core/log.h"
#include "core/net/net.h"
#include "gateway/services.h"
#include "gateway/webhooks/event.h"
#include "gateway/webhooks/publisher.h"
#include "gateway/webhooks/webhook_settings.h"
#include "wa/client/messages.h"
#include "wa/transport/asio_net.h"

namespace gw::sessions {

namespace {

auto logger() {
  static auto log = core::get_logger("gw.sessions");
  return log;
}

int64_t unix_now(const core::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

}  // namespace

std::string_view state_name(State s) {
  switch (s) {
    case State::kCreating:
      return "CREATING";
    case State::kGeneratingQr:
      return "GENERATING_QR";
    case State::kConnecting:
      return "CONNECTING";
    case State::kConnected:
      return "CONNECTED";
    case State::kDisconnected:
      return "DISCONNECTED";
    case State::kLoggedOut:
      return "LOGGED_OUT";
  }
  return "DISCONNECTED";
}

std::optional<State> parse_state(std::string_view name) {
  for (State s : {State::kCreating, State::kGeneratingQr, State::kConnecting, State::kConnected,
                  State::kDisconnected, State::kLoggedOut}) {
    if (state_name(s) == name) return s;
  }
  return std::nullopt;
}

bool valid_session_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::optional<Transition> transition_for(const wa::client::ConnectionEvent& e) {
  using wa::client::ConnectionState;
  using wa::client::DisconnectReason;
  const std::string reason =
      e.reason == DisconnectReason::kNone ? std::string() : wa::client::to_string(e.reason);
  switch (e.state) {
    case ConnectionState::kConnecting:
      return Transition{State::kConnecting, "", "Connecting"};
    case ConnectionState::kPairing:
      return std::nullopt;  // GENERATING_QR comes with the first QR code
    case ConnectionState::kConnected:
      return Transition{State::kConnected, "", "Connected"};
    case ConnectionState::kLoggedOut:
      return Transition{State::kLoggedOut, reason.empty() ? "logged_out" : reason,
                        e.detail.empty() ? "Logged out" : e.detail};
    case ConnectionState::kDisconnected:
    case ConnectionState::kReplaced:
    case ConnectionState::kStopped: {
      std::string detail = e.detail;
      if (detail.empty()) detail = "Disconnected";
      if (e.state == ConnectionState::kDisconnected && e.reconnect_in.count() > 0) {
        detail += " (reconnecting in " + std::to_string(e.reconnect_in.count()) + " ms)";
      }
      return Transition{State::kDisconnected,
                        reason.empty() ? std::string(wa::client::to_string(e.state)) : reason,
                        detail};
    }
  }
  return std::nullopt;
}

nlohmann::json snapshot_json(const SessionSnapshot& s) {
  nlohmann::json j = {
      {"sessionId", s.id},
      {"status", std::string(state_name(s.state))},
      {"detail", s.detail},
      {"reason", s.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.reason)},
      {"qr", s.qr.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.qr)},
      {"owner", s.owner},
      {"jid", s.jid.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.jid)},
      {"createdAt", s.created_at}};
  return j;
}

// One WhatsApp session: its client and everything the client borrows.
struct SessionManager::Session final : wa::client::EventHandler {
  SessionManager* manager = nullptr;
  std::weak_ptr<Session> self;
  SessionSnapshot snap;
  bool removed = false;
  bool ever_linked = false;
  std::unique_ptr<storage::SqlDeviceStore> store;
  wa::transport::AsioClientEnvironment env;
  std::unique_ptr<wa::client::StoreExecutor> store_executor;
  std::unique_ptr<wa::client::Client> client;
  std::unique_ptr<net::steady_timer> link_timer;
  // Serial queue of pool jobs (work, then-on-network-thread).
  std::deque<std::pair<std::function<void()>, std::function<void()>>> jobs;
  bool job_running = false;
  // Published status (what the database and the last webhook say).
  std::optional<State> persisted_state;
  // Outbound messages a previous run accepted ("queued") but the server never acked: the
  // client's in-memory queue died with that process, so they are handed to the client again
  // (same id: receivers dedupe) at the first login of this run.
  std::vector<storage::MessageRecord> resend;

  void on_connection(const wa::client::ConnectionEvent& e) override {
    auto t = transition_for(e);
    if (!t) return;
    auto s = self.lock();
    if (!s || removed) return;
    if (t->state == State::kConnected) {
      ever_linked = true;
      snap.paired = true;
      snap.jid = client->own_jid();
      snap.qr.clear();
      snap.qr_expires_at = 0;
      t->detail = "Connected as " + snap.jid;
      for (const auto& m : resend) {
        auto body = nlohmann::json::parse(m.body_json, nullptr, false);
        if (m.type != "text" || !body.is_object() || !body.contains("text") ||
            !body["text"].is_string()) {
          manager->on_status(s, m.message_id, "failed",
                             std::string("not resendable after restart"));
          continue;
        }
        client->send(m.chat_jid, wa::client::make_text(body["text"].get<std::string>()),
                     m.message_id);
      }
      resend.clear();
    }
    // While waiting for a scan, a reconnect shows CONNECTING, not a stale QR.
    if (t->state != State::kGeneratingQr) {
      snap.qr.clear();
      snap.qr_expires_at = 0;
    }
    manager->set_state(s, t->state, t->detail, t->reason);
  }
  void on_qr(const wa::client::QrEvent& e) override {
    auto s = self.lock();
    if (!s || removed) return;
    snap.qr = e.code;
    snap.qr_expires_at = e.expires_at_unix;
    manager->set_state(s, State::kGeneratingQr, "Scan the QR code", "");
  }
  void on_paired(const wa::client::PairedEvent& e) override {
    ever_linked = true;
    snap.paired = true;
    snap.jid = e.jid;
    snap.qr.clear();
    snap.qr_expires_at = 0;
    if (link_timer) link_timer->cancel();
  }
  void on_message(const wa::client::MessageEvent& e) override {
    if (auto s = self.lock(); s && !removed) manager->on_message(s, e);
  }
  void on_send_result(const wa::client::SendResultEvent& e) override {
    auto s = self.lock();
    if (!s || removed) return;
    if (e.ok) {
      manager->on_status(s, e.id, "sent", std::nullopt);
    } else {
      manager->on_status(s, e.id, "failed",
                         e.detail.empty() ? "error " + std::to_string(e.error_code) : e.detail);
    }
  }
  void on_receipt(const wa::client::ReceiptEvent& e) override {
    auto s = self.lock();
    if (!s || removed) return;
    std::string status;
    if (e.type.empty()) {
      status = "delivered";
    } else if (e.type == "read") {
      status = "read";
    } else if (e.type == "played") {
      status = "played";
    } else {
      return;  // read-self, sender, retry, inactive…: not a status of our outbound message
    }
    for (const auto& id : e.ids) manager->on_status(s, id, status, std::nullopt);
  }
};

namespace {

// Routes the client's blocking store work to the Services pool; the client re-posts `done` to
// its own executor. Each job holds the session (its client, scheduler and store) alive until the
// job has finished, and hands that reference back to the network thread, so a session deleted
// while a job is on the pool is destroyed there afterwards — never under a running job, and never
// on a pool thread.
class PoolStoreExecutor final : public wa::client::StoreExecutor {
 public:
  PoolStoreExecutor(storage::BlockingExecutor& pool, net::io_context& io, std::weak_ptr<void> owner)
      : pool_(pool), io_(io), owner_(std::move(owner)) {}
  void run(std::function<void()> work, std::function<void()> done) override {
    std::shared_ptr<void> keep = owner_.lock();
    if (!keep) return;  // the session is being destroyed: nobody waits for this result
    pool_.post([io = &io_, keep = std::move(keep), work = std::move(work),
                done = std::move(done)]() mutable {
      work();
      done();
      net::post(*io, [keep = std::move(keep)] {});
    });
  }

 private:
  storage::BlockingExecutor& pool_;
  net::io_context& io_;
  std::weak_ptr<void> owner_;
};

}  // namespace

SessionManager::SessionManager(net::io_context& io, Services& services,
                               webhooks::WebhookPublisher& publisher,
                               webhooks::WebhookSettings& settings, live::LiveHub* hub,
                               Options options)
    : io_(io),
      services_(services),
      publisher_(publisher),
      settings_(settings),
      hub_(hub),
      options_(std::move(options)) {}

SessionManager::~SessionManager() { stop(); }

std::string SessionManager::new_message_id() {
  return wa::client::new_message_id(unix_now(services_.clock()), "", services_.random());
}

core::Status SessionManager::start() {
  auto& storage = services_.storage();
  CORE_ASSIGN_OR_RETURN(auto rows, storage.wa_sessions().list());
  for (const auto& row : rows) {
    std::string owner = "system";
    if (row.owner_id) {
      if (auto u = storage.users().find_by_id(*row.owner_id); u.ok() && *u) owner = (*u)->email;
    }
    auto s = make_session(row, owner);
    auto creds = s->store->load_credentials();
    s->ever_linked = creds.ok() && *creds && !(*creds)->me_pn_jid.empty();
    s->snap.paired = s->ever_linked;
    sessions_[row.id] = s;
    if (s->snap.state == State::kLoggedOut) continue;  // credentials are void: stay put
    s->persisted_state = s->snap.state;
    if (s->ever_linked) {
      auto queued = queued_outbound(row.id);
      if (queued.ok()) {
        s->resend = std::move(*queued);
      } else {
        logger()->warn("session {}: queued messages not loaded: {}", row.id,
                       queued.status().message());
      }
    }
    // The stored status is history until the client reports: never show a stale CONNECTED.
    s->snap.state = State::kConnecting;
    s->snap.detail = "Restoring";
    connect(s);
    if (!s->ever_linked) arm_link_timeout(s);
  }
  logger()->info("restored {} session(s)", rows.size());
  return core::Status();
}

core::Result<std::vector<storage::MessageRecord>> SessionManager::queued_outbound(
    const std::string& session_id) {
  // MessageRepository has no status query yet; this reads the few columns a resend needs.
  std::vector<storage::MessageRecord> out;
  core::Status st = services_.storage().db().run("queued messages", [&](soci::session& sql) {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT chat_jid, message_id, type, body FROM messages WHERE "
                        "session_id = :s AND direction = 'out' AND status = 'queued' ORDER BY id",
         soci::use(session_id));
    for (const auto& r : rows) {
      storage::MessageRecord m;
      m.session_id = session_id;
      m.direction = "out";
      m.chat_jid = r.get<std::string>(0);
      m.message_id = r.get<std::string>(1);
      m.type = r.get<std::string>(2);
      m.body_json = r.get<std::string>(3);
      out.push_back(std::move(m));
    }
    return core::Status();
  });
  if (!st.ok()) return st;
  return out;
}

void SessionManager::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [id, s] : sessions_) {
    s->removed = true;
    if (s->link_timer) s->link_timer->cancel();
    if (s->client) s->client->disconnect();
  }
}

std::shared_ptr<SessionManager::Session> SessionManager::make_session(const storage::WaSession& row,
                                                                      const std::string& owner) {
  auto s = std::make_shared<Session>();
  s->manager = this;
  s->self = s;
  s->snap.id = row.id;
  s->snap.owner_id = row.owner_id;
  s->snap.owner = owner;
  s->snap.created_at = row.created_at;
  s->snap.state = parse_state(row.status).value_or(State::kDisconnected);
  s->snap.detail = row.detail.value_or("");
  s->snap.reason = row.reason.value_or("");
  s->store = services_.storage().device_store(row.id);
  s->env = wa::transport::make_asio_client_environment(
      net::make_strand(io_), options_.endpoint.transport, options_.endpoint.media_tls,
      core::SystemClock::instance(), services_.random());
  s->store_executor = std::make_unique<PoolStoreExecutor>(services_.executor(), io_, s);
  wa::client::ClientDeps deps{
      *s->env.scheduler, *s->env.transports, *s->store, *s, core::SystemClock::instance(),
      services_.random()};
  deps.store_executor = s->store_executor.get();
  deps.http = s->env.http.get();
  wa::client::ClientConfig config;
  config.device = options_.device;
  s->client = std::make_unique<wa::client::Client>(config, deps);
  return s;
}

void SessionManager::connect(const std::shared_ptr<Session>& s) {
  if (s->removed || stopped_) return;
  s->client->connect();
}

void SessionManager::ensure_qr(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto& s = it->second;
  if (s->removed || s->ever_linked || s->snap.state == State::kLoggedOut) return;
  auto st = s->client->state();
  if (st == wa::client::ConnectionState::kStopped ||
      (st == wa::client::ConnectionState::kDisconnected && s->snap.qr.empty() &&
       s->snap.reason == "qr_timeout")) {
    s->client->connect();
  }
}

void SessionManager::arm_link_timeout(const std::shared_ptr<Session>& s) {
  const int64_t deadline = s->snap.created_at / 1000 + options_.link_timeout.count();
  int64_t wait = deadline - unix_now(services_.clock());
  if (wait < 1) wait = 1;
  s->link_timer = std::make_unique<net::steady_timer>(io_, std::chrono::seconds(wait));
  std::weak_ptr<Session> weak = s;
  s->link_timer->async_wait([this, weak](const boost::system::error_code& ec) {
    auto s = weak.lock();
    if (ec || !s || s->removed || s->ever_linked || stopped_) return;
    logger()->info("session {} was not linked within {} s: removing it", s->snap.id,
                   options_.link_timeout.count());
    finish_remove(s, [](core::Status) {});
  });
}

void SessionManager::serial(const std::shared_ptr<Session>& s, std::function<void()> work,
                            std::function<void()> then) {
  s->jobs.emplace_back(std::move(work), std::move(then));
  pump(s);
}

void SessionManager::pump(const std::shared_ptr<Session>& s) {
  if (s->job_running || s->jobs.empty()) return;
  s->job_running = true;
  auto job = std::move(s->jobs.front());
  s->jobs.pop_front();
  services_.run_blocking(std::move(job.first), [this, s, then = std::move(job.second)]() {
    s->job_running = false;
    if (then) then();
    pump(s);
  });
}

void SessionManager::set_state(const std::shared_ptr<Session>& s, State state, std::string detail,
                               std::string reason) {
  const bool changed = s->snap.state != state || s->snap.detail != detail;
  s->snap.state = state;
  s->snap.detail = detail;
  s->snap.reason = reason;
  publish_live();
  if (!changed && s->persisted_state == state) return;
  s->persisted_state = state;
  auto& storage = services_.storage();
  auto& publisher = publisher_;
  auto& random = services_.random();
  const std::string id = s->snap.id;
  const std::string name(state_name(state));
  std::optional<std::string> opt_detail =
      detail.empty() ? std::nullopt : std::optional<std::string>(detail);
  std::optional<std::string> opt_reason =
      reason.empty() ? std::nullopt : std::optional<std::string>(reason);
  serial(s, [&storage, &publisher, &random, id, name, opt_detail, opt_reason] {
    core::Status st = storage.db().transaction("session status", [&](soci::session&) {
      CORE_RETURN_IF_ERROR(storage.wa_sessions().update_status(id, name, opt_detail, opt_reason));
      return publisher
          .publish(webhooks::session_status_event(webhooks::random_event_id(random), id, name,
                                                  opt_detail, opt_reason))
          .status();
    });
    if (!st.ok()) {
      logger()->warn("session {}: status {} not recorded: {}", id, name, st.message());
    }
    publisher.wake();
  });
}

std::vector<live::SessionView> SessionManager::views() const {
  std::vector<live::SessionView> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) {
    if (s->removed) continue;
    out.push_back(live::SessionView{id, std::string(state_name(s->snap.state)), s->snap.detail,
                                    s->snap.qr, s->snap.owner_id, s->snap.owner});
  }
  return out;
}

void SessionManager::publish_live() {
  if (hub_) hub_->publish_session_update(views());
}

std::optional<SessionSnapshot> SessionManager::find(const std::string& id) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->removed) return std::nullopt;
  return it->second->snap;
}

std::shared_ptr<wa::client::Client> SessionManager::connected_client(const std::string& id) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->removed || !it->second->client ||
      it->second->snap.state != State::kConnected) {
    return nullptr;
  }
  return std::shared_ptr<wa::client::Client>(it->second, it->second->client.get());
}

std::vector<SessionSnapshot> SessionManager::list() const {
  std::vector<SessionSnapshot> out;
  for (const auto& [id, s] : sessions_) {
    if (!s->removed) out.push_back(s->snap);
  }
  return out;
}

void SessionManager::create(const std::string& id, const std::optional<std::string>& owner_id,
                            const std::string& owner_email,
                            std::function<void(core::Result<Created>)> done) {
  if (!valid_session_id(id)) {
    done(core::Status::invalid_argument(
        "sessionId must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"));
    return;
  }
  if (stopped_) {
    done(core::Status::unavailable("the server is shutting down"));
    return;
  }
  if (sessions_.count(id)) {
    done(core::Status::already_exists("Session " + id + " already exists"));
    return;
  }
  if (static_cast<int>(sessions_.size()) + creating_ >= options_.max_sessions) {
    done(core::Status::failed_precondition(
        "Maximum session limit (" + std::to_string(options_.max_sessions) +
        ") reached. Delete a session before creating a new one."));
    return;
  }
  ++creating_;
  struct Out {
    storage::WaSession row;
    Created created;
  };
  auto& storage = services_.storage();
  auto& settings = settings_;
  services_.run_blocking(
      [&storage, &settings, id, owner_id]() -> core::Result<Out> {
        Out out;
        out.row.id = id;
        out.row.owner_id = owner_id;
        out.row.status = std::string(state_name(State::kCreating));
        CORE_RETURN_IF_ERROR(settings.prepare_new_session(out.row));
        out.created.webhook_secret = out.row.webhook_secret.value_or("");
        core::Status st = storage.db().transaction("create session", [&](soci::session&) {
          CORE_ASSIGN_OR_RETURN(out.row, storage.wa_sessions().create(out.row));
          CORE_ASSIGN_OR_RETURN(auto issued, storage.tokens().issue_session_token(id));
          out.created.token = std::move(issued.token);
          return core::Status();
        });
        if (!st.ok()) return st;
        return out;
      },
      [this, id, owner_email, done = std::move(done)](core::Result<Out> r) mutable {
        --creating_;
        if (!r.ok()) {
          done(r.status());
          return;
        }
        if (stopped_) {
          done(core::Status::unavailable("the server is shutting down"));
          return;
        }
        auto s = make_session(r->row, owner_email.empty() ? "system" : owner_email);
        sessions_[id] = s;
        s->persisted_state = State::kCreating;
        publish_live();
        arm_link_timeout(s);
        connect(s);
        done(std::move(r->created));
      });
}

void SessionManager::finish_remove(const std::shared_ptr<Session>& s,
                                   std::function<void(core::Status)> done) {
  if (s->removed) {
    done(core::Status());
    return;
  }
  s->removed = true;
  if (s->link_timer) s->link_timer->cancel();
  s->client->disconnect();
  sessions_.erase(s->snap.id);
  publish_live();
  auto& storage = services_.storage();
  const std::string id = s->snap.id;
  // The client may still be on the call stack (an event handler): destroy it later.
  net::post(io_, [s] {});
  serial(
      s, [] {},
      [this, &storage, id, done = std::move(done)]() mutable {
        services_.run_blocking([&storage, id] { return storage.wa_sessions().remove(id); },
                               std::move(done));
      });
}

void SessionManager::remove(const std::string& id, std::function<void(core::Status)> done) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->removed) {
    done(core::Status::not_found("Session " + id + " not found."));
    return;
  }
  auto s = it->second;
  if (s->client->state() != wa::client::ConnectionState::kConnected) {
    finish_remove(s, std::move(done));
    return;
  }
  // Unlink from the phone first (bounded: a silent server must not block the deletion).
  auto finished = std::make_shared<bool>(false);
  auto shared_done = std::make_shared<std::function<void(core::Status)>>(std::move(done));
  auto finish = [this, s, finished, shared_done] {
    if (*finished) return;
    *finished = true;
    finish_remove(s, std::move(*shared_done));
  };
  auto timer = std::make_shared<net::steady_timer>(io_, std::chrono::seconds(5));
  timer->async_wait([timer, finish](const boost::system::error_code&) { finish(); });
  s->client->logout([this, finish, timer](core::Status st) {
    if (!st.ok()) logger()->info("logout before delete: {}", st.message());
    timer->cancel();
    net::post(io_, finish);
  });
}

void SessionManager::logout(const std::string& id, std::function<void(core::Status)> done) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->removed) {
    done(core::Status::not_found("Session " + id + " not found."));
    return;
  }
  auto s = it->second;
  if (!s->ever_linked) {
    done(core::Status::failed_precondition("Session " + id + " is not linked."));
    return;
  }
  if (s->client->state() != wa::client::ConnectionState::kConnected) {
    done(core::Status::failed_precondition("Session " + id + " is not connected."));
    return;
  }
  s->client->logout([this, s, done = std::move(done)](core::Status st) {
    if (st.ok()) {
      s->ever_linked = false;
      s->snap.paired = false;
      set_state(s, State::kLoggedOut, "Logged out", "user_requested");
    }
    done(st);
  });
}

void SessionManager::request_pair_code(const std::string& id, const std::string& phone,
                                       std::function<void(core::Result<std::string>)> done) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->removed) {
    done(core::Status::not_found("Session " + id + " not found."));
    return;
  }
  auto s = it->second;
  if (s->ever_linked) {
    done(core::Status::failed_precondition("Session " + id + " is already linked."));
    return;
  }
  if (s->client->state() != wa::client::ConnectionState::kPairing) {
    ensure_qr(id);
    done(core::Status::unavailable("Session " + id +
                                   " is not waiting for a link yet; retry in a few seconds."));
    return;
  }
  s->client->request_pair_code(phone, std::move(done));
}

void SessionManager::send(const std::string& id, OutgoingMessage message,
                          std::function<void(core::Result<SendOutcome>)> done) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->removed || it->second->snap.state != State::kConnected) {
    done(core::Status::not_found("Session " + id + " not found or not connected."));
    return;
  }
  auto s = it->second;
  storage::MessageRecord record;
  record.session_id = id;
  record.direction = "out";
  record.chat_jid = message.to_jid;
  record.sender_jid = s->snap.jid;
  record.message_id = new_message_id();
  record.type = message.type;
  record.body_json = message.body.dump();
  record.status = "queued";
  record.idempotency_key = message.idempotency_key;
  record.message_ts = unix_now(services_.clock());
  auto& storage = services_.storage();
  auto result =
      std::make_shared<core::Result<storage::MessageRecord>>(core::Status::internal("not run"));
  auto media_bytes = std::make_shared<core::Bytes>();
  auto media = std::make_shared<std::optional<OutgoingMedia>>(message.media);
  const auto owner = s->snap.owner_id;
  serial(
      s,
      [&storage, record, result, media, media_bytes, owner, id] {
        if (*media) {
          OutgoingMedia& m = **media;
          // The file must be one this session (or its owner) uploaded.
          auto f = storage.media().find(m.media_id);
          if (!f.ok()) {
            *result = f.status();
            return;
          }
          const bool mine =
              *f && (((*f)->session_id && *(*f)->session_id == id) ||
                     ((*f)->owner_id && owner && *(*f)->owner_id == *owner) || m.any_owner);
          if (!mine) {
            *result = core::Status::not_found("media " + m.media_id + " not found");
            return;
          }
          std::ifstream in((*f)->path, std::ios::binary);
          if (!in) {
            *result = core::Status::unavailable("media " + m.media_id + " cannot be read");
            return;
          }
          media_bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
          m.options.mimetype = (*f)->mime;
          if (m.kind == wa::client::MediaKind::kDocument && m.options.file_name.empty()) {
            m.options.file_name = (*f)->original_name.value_or("document");
          }
        }
        *result = storage.messages().enqueue_outbound(record);
      },
      [this, s, record, result, media, media_bytes, msg = std::move(message.message),
       done = std::move(done)]() mutable {
        if (!result->ok()) {
          done(result->status());
          return;
        }
        SendOutcome out;
        out.record = std::move(**result);
        out.duplicate = out.record.message_id != record.message_id;
        const bool send_now = !out.duplicate && !s->removed;
        const std::string chat = out.record.chat_jid;
        const std::string mid = out.record.message_id;
        done(std::move(out));
        if (!send_now) return;
        if (!*media) {
          s->client->send(chat, msg, mid);
          return;
        }
        s->client->upload_media(
            (*media)->kind, std::move(*media_bytes),
            [this, s, chat, mid,
             opts = (*media)->options](core::Result<wa::client::UploadedMedia> up) {
              if (s->removed) return;
              if (!up.ok()) {
                on_status(s, mid, "failed", "media upload failed: " + up.status().message());
                return;
              }
              s->client->send(chat, wa::client::make_media(*up, opts), mid);
            });
      });
}

void SessionManager::on_status(const std::shared_ptr<Session>& s, const std::string& message_id,
                               const std::string& status, const std::optional<std::string>& error) {
  auto& storage = services_.storage();
  auto& publisher = publisher_;
  const std::string id = s->snap.id;
  const int64_t now = unix_now(services_.clock());
  serial(s, [&storage, &publisher, id, message_id, status, error, now] {
    core::Status st = storage.db().transaction("message status", [&](soci::session&) {
      CORE_ASSIGN_OR_RETURN(auto rec, storage.messages().find_outbound(id, message_id));
      if (!rec) return core::Status();  // not one of ours (sent from the phone, a campaign…)
      core::Status up = storage.messages().update_status(id, message_id, status, error);
      if (!up.ok()) return up;
      CORE_ASSIGN_OR_RETURN(auto after, storage.messages().find_outbound(id, message_id));
      if (!after || after->status != status) return core::Status();  // out of order: ignored
      auto parsed = webhooks::parse_message_status(status);
      if (!parsed.ok()) return core::Status();  // "played": no webhook status for it
      return publisher
          .publish(webhooks::message_status_event(
              webhooks::derived_event_id("status|" + id + "|" + message_id + "|" + status), id,
              message_id, rec->chat_jid, *parsed, error, now))
          .status();
    });
    if (!st.ok())
      logger()->warn("session {}: status of {} not recorded: {}", id, message_id, st.message());
    publisher.wake();
  });
}

void SessionManager::on_message(const std::shared_ptr<Session>& s,
                                const wa::client::MessageEvent& e) {
  if (e.info.from_me) return;  // our own other devices: not an inbound message
  if (e.info.chat.find("@broadcast") != std::string::npos) return;  // status updates
  const std::string text = wa::client::content_text(e.message);
  // The message in the WebMessageInfo JSON style of the seed's `data.message` (the protobuf
  // classes are lite, without reflection: the common fields are rendered by hand).
  const std::string kind = wa::client::content_kind(e.message);
  nlohmann::json message_json = nlohmann::json::object();
  if (e.message.has_extended_text_message()) {
    message_json["extendedTextMessage"] = {{"text", text}};
  } else if (e.message.has_conversation() || kind == "text") {
    message_json["conversation"] = text;
  } else {
    message_json[kind.empty() ? "unknown" : kind] = {{"caption", text}};
  }
  nlohmann::json key = {{"remoteJid", e.info.chat}, {"fromMe", false}, {"id", e.info.id}};
  if (e.info.is_group)
    key["participant"] = e.info.sender_pn.empty() ? e.info.sender : e.info.sender_pn;
  nlohmann::json data = {{"key", key},
                         {"messageTimestamp", e.info.timestamp},
                         {"pushName", e.info.push_name},
                         {"message", message_json}};

  storage::MessageRecord record;
  record.session_id = s->snap.id;
  record.direction = "in";
  record.chat_jid = e.info.chat;
  record.sender_jid = e.info.sender_pn.empty() ? e.info.sender : e.info.sender_pn;
  record.message_id = e.info.id;
  record.type = wa::client::content_kind(e.message);
  record.body_json = nlohmann::json{{"text", text}}.dump();
  record.status = "received";
  record.message_ts = e.info.timestamp;
  auto& storage = services_.storage();
  auto& publisher = publisher_;
  const std::string id = s->snap.id;
  serial(s, [&storage, &publisher, record, data, id]() mutable {
    core::Status st = storage.db().transaction("inbound message", [&](soci::session&) {
      CORE_ASSIGN_OR_RETURN(bool fresh, storage.messages().record_inbound(record));
      if (!fresh) return core::Status();
      return publisher
          .publish(webhooks::new_message_event(
              webhooks::derived_event_id("in|" + id + "|" + record.chat_jid + "|" +
                                         record.message_id),
              id, record.chat_jid, record.message_id, record.message_ts, data))
          .status();
    });
    if (!st.ok())
      logger()->warn("session {}: inbound {} not recorded: {}", id, record.message_id,
                     st.message());
    publisher.wake();
  });
}

}  // namespace gw::sessions
