#include "gateway/sessions/session_manager.h"

#include <soci/soci.h>

#include <algorithm>
#include <fstream>

#include <spdlog/spdlog.h>
#include "core/clock.h"

#include "core/encoding.h"
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
  // Clients replaced by a re-link: kept (disconnected) until the session goes, because store
  // jobs they started may still complete on the network thread.
  std::vector<std::unique_ptr<wa::client::Client>> retired_clients;
  bool relinking = false;
  std::unique_ptr<net::steady_timer> link_timer;
  // Serial queue of pool jobs (work, then-on-network-thread).
  std::deque<std::pair<std::function<void()>, std::function<void()>>> jobs;
  bool job_running = false;
  // Published status (what the database and the last webhook say).
  std::optional<State> persisted_state;
  // Outbound messages a previous run accepted ("queued") but the server never acked: the
  // client's in-memory queue died with that process, so they are handed to the client again
  // (same id) at the first login of this run — but only after the server has handed over what
  // queued up while we were away (OfflineSyncEvent, or kOfflineSyncWait without one): a message
  // that was already on the wire when the process died usually has its delivery receipt in that
  // backlog, and is then not sent a second time.
  std::vector<storage::MessageRecord> resend;
  std::unique_ptr<net::steady_timer> offline_timer;

  void on_connection(const wa::client::ConnectionEvent& e) override {
    auto t = transition_for(e);
    if (!t) return;
    auto s = self.lock();
    if (!s || removed) return;
    snap.reconnecting =
        e.state == wa::client::ConnectionState::kDisconnected && e.reconnect_in.count() > 0;
    if (t->state == State::kConnected) {
      ever_linked = true;
      snap.paired = true;
      snap.jid = client->own_jid();
      snap.qr.clear();
      snap.qr_expires_at = 0;
      t->detail = "Connected as " + snap.jid;
      if (!resend.empty()) manager->await_offline_sync(s);
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
    if (auto s = self.lock(); s && !removed) {
      ++manager->messages_in_;
      manager->on_message(s, e);
    }
  }
  void on_send_result(const wa::client::SendResultEvent& e) override {
    auto s = self.lock();
    if (!s || removed) return;
    if (e.ok) {
      ++manager->messages_out_;
      manager->on_status(s, e.id, "sent", std::nullopt);
    } else {
      manager->on_status(s, e.id, "failed",
                         e.detail.empty() ? "error " + std::to_string(e.error_code) : e.detail);
    }
  }
  void on_offline_sync(const wa::client::OfflineSyncEvent&) override {
    auto s = self.lock();
    if (!s || removed || !offline_timer) return;
    offline_timer->cancel();
    offline_timer.reset();
    manager->resend_queued(s);
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
      auto queued = services_.storage().messages().queued_outbound(row.id);
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

void SessionManager::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [id, s] : sessions_) {
    s->removed = true;
    if (s->link_timer) s->link_timer->cancel();
    if (s->offline_timer) s->offline_timer->cancel();
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
  s->client = make_client(*s);
  return s;
}

std::unique_ptr<wa::client::Client> SessionManager::make_client(Session& s) {
  wa::client::ClientDeps deps{
      *s.env.scheduler,  *s.env.transports, *s.store, s, core::SystemClock::instance(),
      services_.random()};
  deps.store_executor = s.store_executor.get();
  deps.http = s.env.http.get();
  wa::client::ClientConfig config;
  config.device = options_.device;
  return std::make_unique<wa::client::Client>(config, deps);
}

void SessionManager::relink(const std::shared_ptr<Session>& s) {
  if (s->relinking || s->removed || stopped_) return;
  s->relinking = true;
  s->client->disconnect();
  auto wiped = std::make_shared<core::Status>();
  serial(
      s,
      // Everything the old device was: its credentials (a fresh registration makes new ones),
      // Signal state, LID map, contacts and message secrets. Messages and tokens stay. The job
      // holds the session (and so its store) until `then` ran.
      [store = s->store.get(), wiped] { *wiped = store->wipe(); },
      [this, s, wiped] {
        s->relinking = false;
        if (s->removed || stopped_) return;
        if (!wiped->ok()) {
          logger()->warn("session {}: re-link failed: {}", s->snap.id, wiped->message());
          return;
        }
        // The old client keeps the old credentials in memory: a new one registers afresh.
        s->retired_clients.push_back(std::move(s->client));
        s->client = make_client(*s);
        s->ever_linked = false;
        s->snap.paired = false;
        s->snap.jid.clear();
        s->resend.clear();
        set_state(s, State::kConnecting, "Re-linking: waiting for a new QR code", "");
        connect(s);
      });
}

void SessionManager::connect(const std::shared_ptr<Session>& s) {
  if (s->removed || stopped_) return;
  s->client->connect();
}

void SessionManager::ensure_qr(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto& s = it->second;
  if (s->removed) return;
  if (s->snap.state == State::kLoggedOut) {
    relink(s);
    return;
  }
  if (s->ever_linked) return;
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

bool accepts_messages(const SessionSnapshot& s) {
  return s.state == State::kConnected ||
         (s.paired &&
          (s.state == State::kConnecting || (s.state == State::kDisconnected && s.reconnecting)));
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
  if (s->offline_timer) s->offline_timer->cancel();
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

namespace {

std::string mime_base(const std::string& mime) {
  std::string b = mime.substr(0, mime.find(';'));
  while (!b.empty() && b.back() == ' ') b.pop_back();
  for (auto& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return b;
}

std::string_view kind_label(wa::client::MediaKind k) {
  switch (k) {
    case wa::client::MediaKind::kImage:
      return "image";
    case wa::client::MediaKind::kVideo:
      return "video";
    case wa::client::MediaKind::kAudio:
      return "audio";
    case wa::client::MediaKind::kSticker:
      return "sticker";
    default:
      return "document";
  }
}

// "123:4@s.whatsapp.net" → "123@s.whatsapp.net": a reply names the account, not the device.
std::string bare_jid(const std::string& jid) {
  const auto at = jid.find('@');
  const auto colon = jid.find(':');
  if (colon == std::string::npos || at == std::string::npos || colon > at) return jid;
  return jid.substr(0, colon) + jid.substr(at);
}

// The contextInfo of the message's content (mentions and replies live there). A plain
// conversation becomes an extended text, the only text form that carries one. For media the
// message is the pre-upload part, so the kind decides which sub-message it is.
waproto::ContextInfo* context_info_of(waproto::Message& m,
                                      const std::optional<OutgoingMedia>& media) {
  using wa::client::MediaKind;
  if (media) {
    switch (media->kind) {
      case MediaKind::kImage:
        return m.mutable_image_message()->mutable_context_info();
      case MediaKind::kVideo:
        return m.mutable_video_message()->mutable_context_info();
      case MediaKind::kAudio:
        return m.mutable_audio_message()->mutable_context_info();
      case MediaKind::kSticker:
        return m.mutable_sticker_message()->mutable_context_info();
      default:
        return m.mutable_document_message()->mutable_context_info();
    }
  }
  if (m.has_conversation()) {
    std::string text = m.conversation();
    m.clear_conversation();
    m.mutable_extended_text_message()->set_text(std::move(text));
  }
  if (m.has_extended_text_message())
    return m.mutable_extended_text_message()->mutable_context_info();
  if (m.has_location_message()) return m.mutable_location_message()->mutable_context_info();
  if (m.has_contact_message()) return m.mutable_contact_message()->mutable_context_info();
  return nullptr;
}

// A message this session sent (any chat: then it must be `chat`) or received in `chat`. A 1:1
// chat may have been recorded under the peer's LID (LID-addressed chats), so a phone-number chat
// is also looked up under the LID the device store maps it to.
core::Result<std::optional<storage::MessageRecord>> find_in_chat(storage::Storage& storage,
                                                                 const std::string& session_id,
                                                                 const std::string& chat,
                                                                 const std::string& id,
                                                                 bool outbound_only) {
  auto& repo = storage.messages();
  CORE_ASSIGN_OR_RETURN(auto out, repo.find_outbound(session_id, id));
  if (out) {
    if (out->chat_jid != chat) {
      return core::Status::invalid_argument("message " + id + " belongs to another chat");
    }
    return out;
  }
  if (outbound_only) return std::optional<storage::MessageRecord>();
  CORE_ASSIGN_OR_RETURN(auto in, repo.find(session_id, chat, "in", id));
  constexpr std::string_view kPn = "@s.whatsapp.net";
  if (in || !chat.ends_with(kPn)) return in;
  auto lid = storage.device_store(session_id)->lid_for_pn(chat.substr(0, chat.size() - kPn.size()));
  if (!lid.ok() || !*lid) return in;
  return repo.find(session_id, **lid + "@lid", "in", id);
}

// What the quoted message shows: for our own media a file-less message of the same kind, for our
// other messages the stored protobuf, else the stored text (an empty conversation for inbound
// media and other kinds is acceptable to WhatsApp).
waproto::Message quoted_content(const storage::MessageRecord& r) {
  waproto::Message q;
  auto body = nlohmann::json::parse(r.body_json, nullptr, false);
  if (!body.is_object()) body = nlohmann::json::object();
  if (auto md = body.find("_media"); md != body.end() && md->is_object()) {
    // Our own media: the kind, caption and type let the reply show "Photo", "Document"…
    // (the file fields are not needed to display a quote).
    const int kind = md->value("kind", static_cast<int>(wa::client::MediaKind::kDocument));
    const std::string caption = md->value("caption", "");
    const std::string mime = md->value("mimetype", "");
    switch (static_cast<wa::client::MediaKind>(kind)) {
      case wa::client::MediaKind::kImage:
        q.mutable_image_message()->set_mimetype(mime);
        if (!caption.empty()) q.mutable_image_message()->set_caption(caption);
        break;
      case wa::client::MediaKind::kVideo:
        q.mutable_video_message()->set_mimetype(mime);
        if (!caption.empty()) q.mutable_video_message()->set_caption(caption);
        break;
      case wa::client::MediaKind::kAudio:
        q.mutable_audio_message()->set_mimetype(mime);
        q.mutable_audio_message()->set_ptt(md->value("ptt", false));
        break;
      case wa::client::MediaKind::kSticker:
        q.mutable_sticker_message()->set_mimetype(mime);
        break;
      default:
        q.mutable_document_message()->set_mimetype(mime);
        q.mutable_document_message()->set_file_name(md->value("file_name", "file"));
        if (!caption.empty()) q.mutable_document_message()->set_caption(caption);
        break;
    }
    return q;
  }
  auto wa = body.find("_wa");
  if (wa != body.end() && wa->is_string()) {
    auto raw = core::base64_decode(wa->get<std::string>());
    if (raw.ok() && q.ParseFromArray(raw->data(), static_cast<int>(raw->size()))) {
      if (q.has_extended_text_message()) q.mutable_extended_text_message()->clear_context_info();
      return q;
    }
    q.Clear();
  }
  auto text = body.find("text");
  q.set_conversation(text != body.end() && text->is_string() ? text->get<std::string>() : "");
  return q;
}

// Everything send() does on the pool before the message is queued.
struct SendJob {
  OutgoingMessage msg;
  storage::MessageRecord record;
  std::string own_jid;
  std::optional<std::string> owner_id;
  bool session_removed = false;
  int64_t now_ms = 0;
  core::Bytes media_bytes;
  core::Result<storage::MessageRecord> result = core::Status::internal("not run");
};

// Reads an uploaded file of the session (or its owner, or anyone's for an admin) and checks it
// fits the message kind; fills the options the stored file decides (MIME type, file name).
core::Result<core::Bytes> load_media(storage::Storage& storage, const std::string& session_id,
                                     const std::optional<std::string>& owner, OutgoingMedia& m) {
  CORE_ASSIGN_OR_RETURN(auto f, storage.media().find(m.media_id));
  const bool mine = f && ((f->session_id && *f->session_id == session_id) ||
                          (f->owner_id && owner && *f->owner_id == *owner) || m.any_owner);
  if (!mine) return core::Status::not_found("media " + m.media_id + " not found");
  if (!media_type_fits(m.kind, f->mime)) {
    return core::Status::invalid_argument("media " + m.media_id + " is " + f->mime + ", not a " +
                                          std::string(kind_label(m.kind)) + " WhatsApp accepts");
  }
  std::ifstream in(f->path, std::ios::binary);
  if (!in) return core::Status::unavailable("media " + m.media_id + " cannot be read");
  core::Bytes bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  m.options.mimetype = f->mime;
  if (m.kind == wa::client::MediaKind::kAudio && m.options.ptt &&
      mime_base(f->mime) == "audio/ogg") {
    m.options.mimetype = "audio/ogg; codecs=opus";  // what a voice note declares
  }
  if (m.kind == wa::client::MediaKind::kDocument && m.options.file_name.empty()) {
    m.options.file_name = f->original_name.value_or("document");
  }
  return bytes;
}

nlohmann::json media_resend_json(const OutgoingMedia& m) {
  return {{"id", m.media_id},
          {"kind", static_cast<int>(m.kind)},
          {"caption", m.options.caption},
          {"file_name", m.options.file_name},
          {"ptt", m.options.ptt},
          {"mimetype", m.options.mimetype},  // for quotes only: a resend sniffs the file again
          {"any_owner", m.any_owner}};
}

core::Status prepare_send(storage::Storage& storage, SendJob& job) {
  OutgoingMessage& msg = job.msg;
  const std::string& sid = job.record.session_id;
  if (msg.media) {
    CORE_ASSIGN_OR_RETURN(job.media_bytes, load_media(storage, sid, job.owner_id, *msg.media));
  }
  if (msg.quoted_id) {
    CORE_ASSIGN_OR_RETURN(auto q, find_in_chat(storage, sid, msg.to_jid, *msg.quoted_id, false));
    if (!q) return core::Status::not_found("quoted message " + *msg.quoted_id + " not found");
    waproto::ContextInfo* ci = context_info_of(msg.message, msg.media);
    if (!ci) return core::Status::invalid_argument("this message type cannot quote a message");
    ci->set_stanza_id(q->message_id);
    ci->set_participant(q->direction == "out" ? bare_jid(job.own_jid)
                                              : q->sender_jid.value_or(q->chat_jid));
    *ci->mutable_quoted_message() = quoted_content(*q);
  }
  if (msg.target) {
    const MessageTarget& t = *msg.target;
    const bool own_only = t.use != MessageTarget::Use::kReaction;
    CORE_ASSIGN_OR_RETURN(auto r, find_in_chat(storage, sid, msg.to_jid, t.message_id, own_only));
    if (!r) {
      return core::Status::not_found(
          own_only ? "message " + t.message_id + " not found among the messages this session sent"
                   : "message " + t.message_id + " not found");
    }
    const bool from_me = r->direction == "out";
    const bool group = r->chat_jid.size() > 5 && r->chat_jid.ends_with("@g.us");
    auto key = wa::client::make_key(r->chat_jid, r->message_id, from_me,
                                    !from_me && group ? r->sender_jid.value_or("") : "");
    switch (t.use) {
      case MessageTarget::Use::kReaction:
        msg.message = wa::client::make_reaction(key, t.text, job.now_ms);
        break;
      case MessageTarget::Use::kEdit:
        if (r->type != "text") {
          return core::Status::invalid_argument("only text messages can be edited");
        }
        msg.message = wa::client::make_edit(key, t.text, job.now_ms);
        break;
      case MessageTarget::Use::kRevoke:
        msg.message = wa::client::make_revoke(key);
        break;
    }
  }
  nlohmann::json body = msg.body.is_object() ? msg.body : nlohmann::json::object();
  body["_wa"] = core::base64_encode(core::as_view(msg.message.SerializeAsString()));
  if (msg.media) body["_media"] = media_resend_json(*msg.media);
  job.record.body_json = body.dump();
  return core::Status();
}

// What a record still "queued" from an earlier run needs to be sent again.
struct ResendPlan {
  waproto::Message message;
  std::optional<OutgoingMedia> media;
};

core::Result<ResendPlan> resend_plan(const storage::MessageRecord& m) {
  auto body = nlohmann::json::parse(m.body_json, nullptr, false);
  if (!body.is_object()) return core::Status::invalid_argument("unreadable record");
  ResendPlan plan;
  auto wa = body.find("_wa");
  if (wa != body.end() && wa->is_string()) {
    auto raw = core::base64_decode(wa->get<std::string>());
    if (!raw.ok() || !plan.message.ParseFromArray(raw->data(), static_cast<int>(raw->size()))) {
      return core::Status::invalid_argument("stored message is corrupt");
    }
  } else if (m.type == "text" && body.contains("text") && body["text"].is_string()) {
    plan.message = wa::client::make_text(body["text"].get<std::string>());  // older records
  } else {
    return core::Status::invalid_argument("no stored message");
  }
  if (auto md = body.find("_media"); md != body.end()) {
    if (!md->is_object() || !md->contains("id") || !(*md)["id"].is_string() ||
        !md->contains("kind") || !(*md)["kind"].is_number_integer()) {
      return core::Status::invalid_argument("stored media reference is corrupt");
    }
    OutgoingMedia media;
    media.media_id = (*md)["id"].get<std::string>();
    const int kind = (*md)["kind"].get<int>();
    if (kind < 0 || kind > static_cast<int>(wa::client::MediaKind::kSticker)) {
      return core::Status::invalid_argument("stored media kind is invalid");
    }
    media.kind = static_cast<wa::client::MediaKind>(kind);
    media.options.caption = md->value("caption", "");
    media.options.file_name = md->value("file_name", "");
    media.options.ptt = md->value("ptt", false);
    media.any_owner = md->value("any_owner", false);
    plan.media = std::move(media);
  }
  return plan;
}

}  // namespace

bool media_type_fits(wa::client::MediaKind kind, const std::string& mime) {
  using wa::client::MediaKind;
  const std::string b = mime_base(mime);
  auto any_of = [&](std::initializer_list<std::string_view> list) {
    return std::find(list.begin(), list.end(), b) != list.end();
  };
  switch (kind) {
    case MediaKind::kImage:
      return any_of({"image/jpeg", "image/png", "image/webp"});
    case MediaKind::kVideo:
      return any_of({"video/mp4", "video/3gpp"});
    case MediaKind::kAudio:
      return any_of({"audio/ogg", "audio/opus", "audio/mp4", "audio/mpeg", "audio/aac", "audio/amr",
                     "audio/x-m4a"});
    case MediaKind::kSticker:
      return b == "image/webp";
    case MediaKind::kDocument:
      return !b.empty();
    default:
      return false;
  }
}

void SessionManager::send(const std::string& id, OutgoingMessage message,
                          std::function<void(core::Result<SendOutcome>)> done) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->removed || !accepts_messages(it->second->snap)) {
    done(core::Status::not_found("Session " + id + " not found or not connected."));
    return;
  }
  auto s = it->second;
  auto job = std::make_shared<SendJob>();
  storage::MessageRecord& record = job->record;
  record.session_id = id;
  record.direction = "out";
  record.chat_jid = message.to_jid;
  record.sender_jid = s->snap.jid;
  record.message_id = new_message_id();
  record.type = message.type;
  record.status = "queued";
  record.idempotency_key = message.idempotency_key;
  record.message_ts = unix_now(services_.clock());
  job->own_jid = s->snap.jid;
  job->owner_id = s->snap.owner_id;
  job->now_ms = services_.clock().unix_millis();
  job->msg = std::move(message);
  auto& storage = services_.storage();
  serial(
      s,
      [&storage, job] {
        // An idempotent retry answers with the first record, whatever it referred to.
        if (job->record.idempotency_key) {
          auto earlier = storage.messages().find_by_idempotency_key(job->record.session_id,
                                                                    *job->record.idempotency_key);
          if (!earlier.ok()) {
            job->result = earlier.status();
            return;
          }
          if (*earlier) {
            job->result = std::move(**earlier);
            return;
          }
        }
        if (auto st = prepare_send(storage, *job); !st.ok()) {
          job->result = st;
          return;
        }
        job->result = storage.messages().enqueue_outbound(job->record);
      },
      [this, s, job, done = std::move(done)]() mutable {
        if (!job->result.ok()) {
          done(job->result.status());
          return;
        }
        SendOutcome out;
        out.record = std::move(*job->result);
        out.duplicate = out.record.message_id != job->record.message_id;
        const bool send_now = !out.duplicate && !s->removed;
        const std::string chat = out.record.chat_jid;
        const std::string mid = out.record.message_id;
        std::optional<storage::MessageRecord> later;
        if (send_now && s->snap.state != State::kConnected) later = out.record;
        done(std::move(out));
        if (!send_now) return;
        if (later) {
          // Away: sent after the next login with the messages an earlier run left queued.
          s->resend.push_back(std::move(*later));
          return;
        }
        if (!job->msg.media) {
          s->client->send(chat, job->msg.message, mid);
          return;
        }
        upload_and_send(s, chat, mid, *job->msg.media, std::move(job->msg.message),
                        std::move(job->media_bytes));
      });
}

void SessionManager::upload_and_send(const std::shared_ptr<Session>& s, const std::string& chat,
                                     const std::string& mid, const OutgoingMedia& media,
                                     waproto::Message extra, core::Bytes bytes) {
  s->client->upload_media(media.kind, std::move(bytes),
                          [this, s, chat, mid, opts = media.options,
                           extra = std::move(extra)](core::Result<wa::client::UploadedMedia> up) {
                            if (s->removed) return;
                            if (!up.ok()) {
                              on_status(s, mid, "failed",
                                        "media upload failed: " + up.status().message());
                              return;
                            }
                            waproto::Message m = wa::client::make_media(*up, opts);
                            m.MergeFrom(extra);  // the caption's contextInfo (mentions, reply)
                            s->client->send(chat, m, mid);
                          });
}

void SessionManager::await_offline_sync(const std::shared_ptr<Session>& s) {
  if (s->offline_timer) return;
  s->offline_timer = std::make_unique<net::steady_timer>(io_, kOfflineSyncWait);
  std::weak_ptr<Session> weak = s;
  s->offline_timer->async_wait([this, weak](const boost::system::error_code& ec) {
    auto s = weak.lock();
    if (ec || !s || s->removed || !s->offline_timer) return;
    s->offline_timer.reset();
    resend_queued(s);
  });
}

void SessionManager::resend_queued(const std::shared_ptr<Session>& s) {
  auto pending = std::make_shared<std::vector<storage::MessageRecord>>(std::move(s->resend));
  s->resend.clear();
  auto& storage = services_.storage();
  const std::string sid = s->snap.id;
  // The status changes of the offline backlog (receipts) were queued on this session's serial
  // queue before this job, so the statuses read here include them.
  serial(
      s,
      [&storage, sid, pending] {
        std::vector<storage::MessageRecord> still_queued;
        for (auto& m : *pending) {
          auto now = storage.messages().find_outbound(sid, m.message_id);
          if (!now.ok() || (*now && (*now)->status == "queued")) {
            still_queued.push_back(std::move(m));
          }
        }
        *pending = std::move(still_queued);
      },
      [this, s, pending] {
        if (s->removed) return;
        send_resends(s, std::move(*pending));
      });
}

void SessionManager::send_resends(const std::shared_ptr<Session>& s,
                                  std::vector<storage::MessageRecord> records) {
  auto& storage = services_.storage();
  for (const auto& m : records) {
    auto plan = resend_plan(m);
    if (!plan.ok()) {
      on_status(s, m.message_id, "failed",
                "not resendable after restart: " + plan.status().message());
      continue;
    }
    if (!plan->media) {
      s->client->send(m.chat_jid, plan->message, m.message_id);
      continue;
    }
    // The file is read (and checked again) on the pool, then uploaded again: an upload of the
    // earlier run may never have finished.
    auto media = std::make_shared<OutgoingMedia>(std::move(*plan->media));
    auto bytes = std::make_shared<core::Result<core::Bytes>>(core::Status::internal("not run"));
    const std::string sid = s->snap.id;
    const auto owner = s->snap.owner_id;
    serial(
        s,
        [&storage, sid, owner, media, bytes] { *bytes = load_media(storage, sid, owner, *media); },
        [this, s, m, media, bytes, extra = std::move(plan->message)]() mutable {
          if (s->removed) return;
          if (!bytes->ok()) {
            on_status(s, m.message_id, "failed",
                      "not resendable after restart: " + bytes->status().message());
            return;
          }
          upload_and_send(s, m.chat_jid, m.message_id, *media, std::move(extra),
                          std::move(**bytes));
        });
  }
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
