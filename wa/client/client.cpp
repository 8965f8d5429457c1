#include "wa/client/client.h"

#include "core/encoding.h"
#include "core/log.h"
#include "wa/binary/jid.h"
#include "wa/binary/printer.h"
#include "wa/client/client_impl.h"
#include "wa/pairing/adv.h"
#include "wa/pairing/qr.h"
#include "wa/signal/address.h"
#include "wa/signal/keys.h"

#include <spdlog/spdlog.h>

namespace wa::client {

namespace {
std::shared_ptr<spdlog::logger> log() {
  static auto l = core::get_logger("wa.client");
  return l;
}
}  // namespace

// ------------------------------------------------------------------ helpers

std::string user_of(const std::string& jid) {
  auto at = jid.find('@');
  std::string u = jid.substr(0, at);
  auto colon = u.find(':');
  if (colon != std::string::npos) u = u.substr(0, colon);
  auto under = u.find('_');
  if (under != std::string::npos) u = u.substr(0, under);
  return u;
}

std::string server_of(const std::string& jid) {
  auto at = jid.find('@');
  return at == std::string::npos ? jid : jid.substr(at + 1);
}

std::string to_user_jid(const std::string& jid) { return user_of(jid) + "@" + server_of(jid); }

bool same_user(const std::string& a, const std::string& b) {
  return user_of(a) == user_of(b) && server_of(a) == server_of(b);
}

const char* to_string(ConnectionState s) {
  switch (s) {
    case ConnectionState::kDisconnected:
      return "disconnected";
    case ConnectionState::kConnecting:
      return "connecting";
    case ConnectionState::kPairing:
      return "pairing";
    case ConnectionState::kConnected:
      return "connected";
    case ConnectionState::kLoggedOut:
      return "logged_out";
    case ConnectionState::kReplaced:
      return "replaced";
    case ConnectionState::kStopped:
      return "stopped";
  }
  return "?";
}

const char* to_string(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::kNone:
      return "none";
    case DisconnectReason::kNetwork:
      return "network";
    case DisconnectReason::kTimeout:
      return "timeout";
    case DisconnectReason::kBadCertificate:
      return "bad_certificate";
    case DisconnectReason::kLoggedOut:
      return "logged_out";
    case DisconnectReason::kReplaced:
      return "replaced";
    case DisconnectReason::kRestartRequired:
      return "restart_required";
    case DisconnectReason::kServerError:
      return "server_error";
    case DisconnectReason::kTemporaryBan:
      return "temporary_ban";
    case DisconnectReason::kClientOutdated:
      return "client_outdated";
    case DisconnectReason::kQrTimeout:
      return "qr_timeout";
    case DisconnectReason::kPairingFailed:
      return "pairing_failed";
    case DisconnectReason::kProtocolError:
      return "protocol_error";
    case DisconnectReason::kUserRequested:
      return "user_requested";
  }
  return "?";
}

// ------------------------------------------------------------------ Impl basics

Client::Impl::Impl(ClientConfig config, ClientDeps deps) : config_(std::move(config)), deps_(deps) {
  if (deps_.outbox == nullptr) {
    own_outbox_ = std::make_unique<InMemoryOutboundQueue>();
    outbox_ = own_outbox_.get();
  } else {
    outbox_ = deps_.outbox;
  }
  store_exec_ = deps_.store_executor ? deps_.store_executor : &InlineStoreExecutor::instance();
  auto r = deps_.random.bytes(4);
  id_prefix_ = std::to_string(core::get_uint_be(r, 2)) + "." +
               std::to_string(core::get_uint_be(core::ByteView(r).subspan(2), 2)) + "-";
}

Client::Impl::~Impl() {
  *alive_ = false;
  transport_.reset();
}

std::string Client::Impl::next_id() { return id_prefix_ + std::to_string(++id_counter_); }

void Client::Impl::set_state(ConnectionState s, DisconnectReason reason, int code,
                             std::string detail, std::chrono::milliseconds in) {
  state_ = s;
  ConnectionEvent ev;
  ev.state = s;
  ev.reason = reason;
  ev.code = code;
  ev.detail = std::move(detail);
  ev.reconnect_in = in;
  ev.attempt = attempt_;
  deps_.events.on_connection(ev);
}

void Client::Impl::enqueue(Job job) {
  jobs_.push_back(std::move(job));
  if (!job_running_) run_next_job();
}

void Client::Impl::run_next_job() {
  if (job_running_ || jobs_.empty()) return;
  job_running_ = true;
  auto job = std::move(jobs_.front());
  jobs_.erase(jobs_.begin());
  if (jobs_.empty()) jobs_.shrink_to_fit();
  auto alive = alive_;
  job([this, alive] {
    if (!*alive) return;
    job_running_ = false;
    // Continue on a fresh stack: long job chains must not recurse.
    deps_.scheduler.post([this, alive] {
      if (*alive) run_next_job();
    });
  });
}

void Client::Impl::run_store(std::function<void()> work, std::function<void()> then) {
  auto alive = alive_;
  auto* sched = &deps_.scheduler;
  store_exec_->run(std::move(work), [alive, sched, then = std::move(then)]() mutable {
    sched->post([alive, then = std::move(then)] {
      if (*alive) then();
    });
  });
}

signal::SignalProtocol* Client::Impl::signal_protocol() {
  if (!signal_ && creds_) {
    signal::LocalIdentity id;
    id.identity_key = signal::from_stored(creds_->identity_key);
    id.registration_id = creds_->registration_id;
    auto p = signal::SignalProtocol::create(deps_.store, id);
    if (p.ok()) signal_ = std::move(*p);
  }
  return signal_.get();
}

void Client::Impl::save_credentials() {
  if (!creds_) return;
  auto copy = *creds_;
  enqueue([this, copy](std::function<void()> done) {
    auto st = std::make_shared<core::Status>();
    run_store([this, copy, st] { *st = deps_.store.save_credentials(copy); },
              [st, done] {
                if (!st->ok()) log()->error("saving credentials failed: {}", st->to_string());
                done();
              });
  });
}

// ------------------------------------------------------------------ lifecycle

void Client::Impl::connect() {
  stopped_ = false;
  reconnect_timer_.reset();
  if (transport_) return;
  if (creds_) return start_connection();
  enqueue([this](std::function<void()> done) {
    auto loaded = std::make_shared<core::Result<std::optional<store::DeviceCredentials>>>(
        std::optional<store::DeviceCredentials>());
    auto fresh = pairing::new_credentials(deps_.random);
    auto saved = std::make_shared<core::Status>();
    run_store(
        [this, loaded, fresh, saved] {
          *loaded = deps_.store.load_credentials();
          if (loaded->ok() && !loaded->value()) {
            *saved = deps_.store.save_credentials(fresh);
            // Pre-key 1.. are generated at first login; the signed pre-key goes in now.
            if (saved->ok()) {
              *saved = signal::save_signed_pre_key(
                  deps_.store, signal::from_stored(fresh.signed_pre_key),
                  static_cast<uint64_t>(deps_.clock.unix_millis()));
            }
          }
        },
        [this, loaded, fresh, saved, done] {
          if (!loaded->ok() || !saved->ok()) {
            auto st = loaded->ok() ? *saved : loaded->status();
            set_state(ConnectionState::kStopped, DisconnectReason::kProtocolError, 0,
                      "store: " + st.to_string());
            stopped_ = true;
            done();
            return;
          }
          creds_ = loaded->value() ? *loaded->value() : fresh;
          if (!creds_->me_lid_jid.empty() && !creds_->me_pn_jid.empty()) {
            learn_lid(user_of(creds_->me_pn_jid), user_of(creds_->me_lid_jid));
          }
          done();
          if (!stopped_) start_connection();
        });
  });
}

void Client::Impl::start_connection() {
  if (transport_ || stopped_ || !creds_) return;
  ++conn_gen_;
  logged_in_ = false;
  auto payload = creds_->registered ? pairing::login_payload(*creds_, config_.device)
                                    : pairing::registration_payload(*creds_, config_.device);
  if (!payload.ok()) {
    stopped_ = true;
    set_state(ConnectionState::kStopped, DisconnectReason::kProtocolError, 0,
              payload.status().to_string());
    return;
  }
  transport::ConnectParams params;
  params.noise_key = signal::from_stored(creds_->noise_key);
  params.client_payload = std::move(*payload);
  params.routing_info = creds_->routing_info;
  transport_ = deps_.transports.create(params);
  set_state(ConnectionState::kConnecting);
  transport_->start(this);
}

void Client::Impl::on_open() {
  // Noise is done; the server speaks next (pair-device, success or failure).
}

void Client::Impl::on_closed(core::Status reason) {
  handle_disconnect(classify_transport_close(reason));
}

void Client::Impl::disconnect(DisconnectReason why) {
  stopped_ = true;
  reconnect_timer_.reset();
  DisconnectInfo d;
  d.reason = why;
  d.reconnect = false;
  d.detail = "disconnect requested";
  handle_disconnect(d);
}

void Client::Impl::handle_disconnect(DisconnectInfo info) {
  if (transport_) {
    transport_->close();
    transport_.reset();
  }
  ++conn_gen_;
  logged_in_ = false;
  keepalive_timer_.reset();
  qr_timer_.reset();
  send_timer_.reset();
  sending_.reset();
  pair_code_.reset();
  fail_pending_iqs(core::Status::unavailable("connection closed"));
  if (!config_.reconnect && info.reconnect && !info.immediate) info.reconnect = false;
  log()->info("disconnected: {} ({})", to_string(info.reason), info.detail);

  if (info.logged_out) {
    stopped_ = true;
    if (creds_) {
      creds_->registered = false;
      save_credentials();
    }
    deps_.events.on_logged_out(LoggedOutEvent{info.code, info.detail});
    set_state(ConnectionState::kLoggedOut, info.reason, info.code, info.detail);
    return;
  }
  if (info.reason == DisconnectReason::kReplaced) {
    stopped_ = true;
    set_state(ConnectionState::kReplaced, info.reason, info.code, info.detail);
    return;
  }
  if (stopped_ || !info.reconnect) {
    stopped_ = true;
    set_state(ConnectionState::kStopped, info.reason, info.code, info.detail);
    return;
  }
  std::chrono::milliseconds delay{0};
  if (info.immediate) {
    attempt_ = 0;
  } else {
    ++attempt_;
    delay = config_.backoff.delay(attempt_, deps_.random);
  }
  set_state(ConnectionState::kDisconnected, info.reason, info.code, info.detail, delay);
  reconnect_timer_ = deps_.scheduler.after(delay, [this] {
    reconnect_timer_.reset();
    start_connection();
  });
}

void Client::Impl::send_node(const Node& node) {
  if (transport_) transport_->send(node);
}

void Client::Impl::send_iq(Node iq, std::function<void(core::Result<Node>)> done,
                           std::optional<std::chrono::milliseconds> timeout) {
  if (!transport_) {
    auto alive = alive_;
    deps_.scheduler.post([alive, done = std::move(done)] {
      if (*alive) done(core::Status::unavailable("not connected"));
    });
    return;
  }
  std::string id = iq.attr_or("id", "");
  if (id.empty()) {
    id = next_id();
    iq.set("id", id);
  }
  PendingIq p;
  p.done = std::move(done);
  p.timer = deps_.scheduler.after(timeout.value_or(config_.iq_timeout), [this, id] {
    auto it = iqs_.find(id);
    if (it == iqs_.end()) return;
    auto cb = std::move(it->second.done);
    iqs_.erase(it);
    cb(core::Status::deadline_exceeded("iq " + id + " timed out"));
  });
  iqs_[id] = std::move(p);
  send_node(iq);
}

void Client::Impl::fail_pending_iqs(const core::Status& why) {
  auto pending = std::move(iqs_);
  iqs_.clear();
  for (auto& [id, p] : pending) {
    p.timer.reset();
    if (p.done) p.done(why);
  }
}

void Client::Impl::schedule_keepalive() {
  auto jitter = std::chrono::milliseconds(deps_.random.uniform(5000));
  keepalive_timer_ = deps_.scheduler.after(config_.keepalive_interval + jitter, [this] {
    Node ping = make_iq("", kServerJid, "get", "w:p", {Node("ping")});
    uint64_t gen = conn_gen_;
    send_iq(
        std::move(ping),
        [this, gen](core::Result<Node> r) {
          if (gen != conn_gen_) return;
          if (!r.ok() && r.status().code() == core::StatusCode::kDeadlineExceeded) {
            DisconnectInfo d;
            d.reason = DisconnectReason::kTimeout;
            d.detail = "keepalive unanswered: dead connection";
            return handle_disconnect(d);
          }
          schedule_keepalive();
        },
        config_.keepalive_timeout);
  });
}

void Client::Impl::send_ack(const Node& stanza, const std::string& cls) {
  Node ack("ack", {{"id", stanza.attr_or("id", "")},
                   {"to", stanza.attr_or("from", kServerJid)},
                   {"class", cls}});
  if (const auto* p = stanza.attr("participant")) ack.set("participant", *p);
  if (const auto* r = stanza.attr("recipient")) ack.set("recipient", *r);
  if (const auto* t = stanza.attr("type"); t && cls != "message") ack.set("type", *t);
  send_node(ack);
}

// ------------------------------------------------------------------ dispatch

void Client::Impl::on_node(Node node) {
  using Handler = void (Client::Impl::*)(const Node&);
  // One table for every client (static: no per-client memory).
  static const std::unordered_map<std::string_view, Handler> kTable = {
      {"iq", &Impl::handle_iq},
      {"success", &Impl::handle_success},
      {"failure", &Impl::handle_failure},
      {"stream:error", &Impl::handle_stream_error},
      {"ib", &Impl::handle_ib},
      {"notification", &Impl::handle_notification},
      {"message", &Impl::handle_message},
      {"receipt", &Impl::handle_receipt},
      {"ack", &Impl::handle_ack},
      {"presence", &Impl::handle_presence},
      {"chatstate", &Impl::handle_chatstate},
      {"call", &Impl::handle_call},
  };
  if (node.tag == "xmlstreamend") {
    DisconnectInfo d;
    d.reason = DisconnectReason::kNetwork;
    d.detail = "server ended the stream";
    return handle_disconnect(d);
  }
  auto it = kTable.find(node.tag);
  if (it == kTable.end()) {
    log()->debug("unhandled stanza <{}>", node.tag);
    return;
  }
  (this->*(it->second))(node);
}

void Client::Impl::handle_iq(const Node& n) {
  std::string type = n.attr_or("type", "");
  if (type == "result" || type == "error") {
    auto it = iqs_.find(n.attr_or("id", ""));
    if (it == iqs_.end()) return;
    auto cb = std::move(it->second.done);
    iqs_.erase(it);
    if (type == "error") {
      const Node* e = n.child("error");
      std::string msg = e ? e->attr_or("code", "?") + " " + e->attr_or("text", "") : "error";
      return cb(core::Status::failed_precondition("iq error " + msg));
    }
    return cb(n);
  }
  const auto* children = n.child_list();
  const Node* first = children && !children->empty() ? &children->front() : nullptr;
  if (type == "set" && first && first->tag == "pair-device") return handle_pair_device(n);
  if (type == "set" && first && first->tag == "pair-success") return handle_pair_success(n);
  if (type == "get" && n.attr_or("xmlns", "") == "urn:xmpp:ping") {
    send_node(Node(
        "iq",
        {{"to", n.attr_or("from", kServerJid)}, {"type", "result"}, {"id", n.attr_or("id", "")}}));
  }
}

void Client::Impl::handle_success(const Node& n) {
  logged_in_ = true;
  offline_synced_ = false;
  offline_wait_timer_.reset();
  attempt_ = 0;
  if (creds_) {
    std::string lid = n.attr_or("lid", "");
    if (!lid.empty() && lid != creds_->me_lid_jid) {
      creds_->me_lid_jid = lid;
      save_credentials();
    }
    if (!creds_->me_lid_jid.empty()) {
      learn_lid(user_of(creds_->me_pn_jid), user_of(creds_->me_lid_jid));
    }
  }
  after_login();
}

void Client::Impl::after_login() {
  uint64_t gen = conn_gen_;
  check_pre_keys([this, gen] {
    if (gen != conn_gen_) return;
    send_iq(make_iq("", kServerJid, "set", "passive", {Node("active")}),
            [this, gen](core::Result<Node>) {
              if (gen != conn_gen_) return;
              if (!config_.device.push_name.empty()) send_presence_available();
              set_state(ConnectionState::kConnected);
              schedule_keepalive();
              pump();
            });
  });
}

void Client::Impl::check_pre_keys(std::function<void()> then) {
  uint64_t gen = conn_gen_;
  send_iq(make_iq("", kServerJid, "get", "encrypt", {Node("count")}),
          [this, gen, then = std::move(then)](core::Result<Node> r) {
            if (gen != conn_gen_) return;
            uint64_t count = 0;
            if (r.ok()) {
              if (const Node* c = r->child("count")) count = attr_uint(*c, "value");
            }
            if (r.ok() && count >= config_.min_pre_keys) return then();
            uint32_t n = count == 0 ? config_.initial_pre_keys : config_.replenish_pre_keys;
            upload_pre_keys(n, [then](core::Status) { then(); });
          });
}

void Client::Impl::upload_pre_keys(uint32_t count, std::function<void(core::Status)> then) {
  if (!creds_) return then(core::Status::failed_precondition("no credentials"));
  uint64_t gen = conn_gen_;
  enqueue([this, count, gen, then = std::move(then)](std::function<void()> done) mutable {
    auto keys = std::make_shared<std::vector<signal::PreKey>>(
        signal::generate_pre_keys(creds_->next_pre_key_id, count, deps_.random));
    auto st = std::make_shared<core::Status>();
    creds_->next_pre_key_id = signal::next_pre_key_id(keys->back().id);
    auto creds = *creds_;
    run_store(
        [this, keys, st, creds] {
          *st = signal::save_pre_keys(deps_.store, *keys);
          if (st->ok()) *st = deps_.store.save_credentials(creds);
        },
        [this, keys, st, gen, then = std::move(then), done] {
          done();
          if (!st->ok() || gen != conn_gen_) return then(*st);
          Node iq = build_prekey_upload(next_id(), *creds_, *keys);
          send_iq(std::move(iq), [then](core::Result<Node> r) { then(r.status()); });
        });
  });
}

void Client::Impl::handle_failure(const Node& n) { handle_disconnect(classify_failure(n)); }

void Client::Impl::handle_stream_error(const Node& n) {
  handle_disconnect(classify_stream_error(n));
}

void Client::Impl::handle_ib(const Node& n) {
  if (const Node* er = n.child("edge_routing")) {
    if (const Node* ri = er->child("routing_info"); ri && ri->bytes() && creds_) {
      creds_->routing_info = *ri->bytes();
      save_credentials();
    }
  }
  if (const Node* offline = n.child("offline")) {
    OfflineSyncEvent ev;
    ev.count = static_cast<uint32_t>(attr_uint(*offline, "count"));
    offline_synced_ = true;
    offline_wait_timer_.reset();
    deps_.events.on_offline_sync(ev);
    pump();
  }
}

void Client::Impl::handle_call(const Node& n) { send_ack(n, "call"); }

void Client::Impl::handle_presence(const Node& n) {
  PresenceEvent ev;
  ev.from = n.attr_or("from", "");
  std::string type = n.attr_or("type", "available");
  ev.available = type != "unavailable";
  ev.last_seen = static_cast<int64_t>(attr_uint(n, "last"));
  deps_.events.on_presence(ev);
}

void Client::Impl::handle_chatstate(const Node& n) {
  ChatStateEvent ev;
  ev.chat = n.attr_or("from", "");
  ev.sender = n.attr_or("participant", ev.chat);
  if (const auto* c = n.child_list(); c && !c->empty()) {
    ev.state = c->front().tag;
    ev.media = c->front().attr_or("media", "");
  }
  deps_.events.on_chat_state(ev);
}

void Client::Impl::handle_notification(const Node& n) {
  std::string type = n.attr_or("type", "");
  std::string from = n.attr_or("from", "");
  if (type == "encrypt") {
    if (const Node* c = n.child("count")) {
      if (attr_uint(*c, "value") < config_.min_pre_keys && logged_in_) {
        upload_pre_keys(config_.replenish_pre_keys, [](core::Status) {});
      }
    } else if (n.child("identity") != nullptr) {
      // The contact re-registered: old sessions are useless; drop them and refetch devices.
      std::string user = to_user_jid(from);
      invalidate_devices(user);
      enqueue([this, user](std::function<void()> done) {
        run_store(
            [this, user] {
              auto a = signal::address_from_jid(user);
              if (!a.ok()) return;
              (void)deps_.store.delete_all_sessions(a->name);
              auto lid = deps_.store.lid_for_pn(user_of(user));
              if (lid.ok() && lid->has_value()) {
                (void)deps_.store.delete_all_sessions(
                    signal::signal_name(**lid, signal::Domain::kLid));
              }
            },
            done);
      });
      deps_.events.on_identity_change(IdentityChangeEvent{user});
    }
  } else if (type == "devices") {
    // Only users we hold a device list for matter; learning mappings of everyone the server
    // tells us about would grow every client's state with the size of the server.
    std::string user = to_user_jid(from);
    const auto* lid = n.attr("lid");
    bool known = devices_.count(user) != 0 || (lid && devices_.count(to_user_jid(*lid)) != 0);
    if (known) {
      invalidate_devices(user);
      if (lid) {
        learn_lid(user_of(from), user_of(*lid));
        invalidate_devices(to_user_jid(*lid));
      }
    }
  } else if (type == "w:gp2") {
    groups_.erase(from);
    GroupEvent ev;
    ev.group = from;
    ev.actor = n.attr_or("participant", "");
    ev.timestamp = static_cast<int64_t>(attr_uint(n, "t"));
    if (const auto* c = n.child_list(); c && !c->empty()) {
      const Node& a = c->front();
      ev.action = a.tag;
      if (a.tag == "subject") ev.subject = a.attr_or("subject", "");
      for (const Node* p : a.children("participant"))
        ev.participants.push_back(p->attr_or("jid", ""));
      if (a.tag == "remove" || a.tag == "add") skdm_sent_.erase(from);
    }
    deps_.events.on_group(ev);
  } else if (type == "link_code_companion_reg") {
    handle_link_code_notification(n);
  }
  send_ack(n, "notification");
}

void Client::Impl::handle_ack(const Node& n) {
  if (n.attr_or("class", "") != "message") return;
  std::string id = n.attr_or("id", "");
  if (!sending_ || *sending_ != id) return;
  const std::string* error = n.attr("error");
  if (error) {
    finish_send(id, false, std::atoi(error->c_str()), "server refused the message",
                static_cast<int64_t>(attr_uint(n, "t")));
  } else {
    if (!sending_group_.empty()) {
      auto& set = skdm_sent_[sending_group_];
      for (auto& d : sending_devices_) set.insert(d);
    }
    finish_send(id, true, 0, "", static_cast<int64_t>(attr_uint(n, "t")));
  }
}

// ------------------------------------------------------------------ pairing

void Client::Impl::handle_pair_device(const Node& iq) {
  send_node(Node("iq", {{"to", kServerJid}, {"type", "result"}, {"id", iq.attr_or("id", "")}}));
  qr_refs_.clear();
  if (const Node* pd = iq.child("pair-device")) {
    for (const Node* ref : pd->children("ref")) {
      qr_refs_.push_back(std::string(ref->text()));
    }
  }
  qr_index_ = 0;
  set_state(ConnectionState::kPairing);
  show_next_qr();
}

void Client::Impl::show_next_qr() {
  if (!creds_) return;
  if (qr_index_ >= qr_refs_.size()) {
    DisconnectInfo d;
    d.reason = DisconnectReason::kQrTimeout;
    d.code = 408;
    d.reconnect = false;
    d.detail = "QR refs attempts ended";
    return handle_disconnect(d);
  }
  auto lifetime = pairing::qr_ref_lifetime(qr_index_);
  QrEvent ev;
  ev.code = pairing::make_qr_string(qr_refs_[qr_index_], creds_->noise_key.public_key,
                                    creds_->identity_key.public_key, creds_->adv_secret_key,
                                    config_.device.qr_platform);
  ev.expires_at_unix = deps_.clock.unix_seconds() + lifetime.count();
  ev.index = qr_index_;
  ev.total = qr_refs_.size();
  ++qr_index_;
  qr_timer_ = deps_.scheduler.after(lifetime, [this] { show_next_qr(); });
  deps_.events.on_qr(ev);
}

void Client::Impl::handle_pair_success(const Node& iq) {
  qr_timer_.reset();
  std::string id = iq.attr_or("id", "");
  const Node* ps = iq.child("pair-success");
  const Node* di = ps ? ps->child("device-identity") : nullptr;
  const Node* dev = ps ? ps->child("device") : nullptr;
  auto refuse = [&](int code, const std::string& text, const std::string& detail) {
    Node err("iq", {{"to", kServerJid}, {"type", "error"}, {"id", id}},
             Node::Children{Node("error", {{"code", std::to_string(code)}, {"text", text}})});
    send_node(err);
    DisconnectInfo d;
    d.reason = DisconnectReason::kPairingFailed;
    d.code = code;
    d.reconnect = false;
    d.detail = detail;
    handle_disconnect(d);
  };
  if (!creds_ || di == nullptr || di->bytes() == nullptr || dev == nullptr) {
    return refuse(500, "internal-error", "malformed pair-success");
  }
  auto signed_id = pairing::verify_and_sign_device_identity(
      *di->bytes(), creds_->adv_secret_key, signal::from_stored(creds_->identity_key),
      deps_.random);
  if (!signed_id.ok()) {
    const std::string m = signed_id.status().message();
    if (m == "hmac-mismatch" || m == "signature-mismatch") {
      return refuse(401, m, "pairing refused: " + m);
    }
    return refuse(500, "internal-error", signed_id.status().to_string());
  }
  PairedEvent ev;
  ev.jid = dev->attr_or("jid", "");
  ev.lid = dev->attr_or("lid", "");
  if (const Node* p = ps->child("platform")) ev.platform = p->attr_or("name", "");
  if (const Node* b = ps->child("biz")) ev.business_name = b->attr_or("name", "");
  creds_->me_pn_jid = ev.jid;
  creds_->me_lid_jid = ev.lid;
  creds_->account = signed_id->account;
  creds_->platform = ev.platform;
  creds_->registered = true;
  if (!ev.lid.empty()) learn_lid(user_of(ev.jid), user_of(ev.lid));
  auto account_key = signed_id->account_signature_key;
  auto lid_jid = ev.lid;
  save_credentials();
  // The phone's identity (account key) is the identity of LID:0 (or PN:0).
  enqueue([this, account_key, lid_jid, pn = ev.jid](std::function<void()> done) {
    run_store(
        [this, account_key, lid_jid, pn] {
          std::string j = lid_jid.empty() ? to_user_jid(pn) : to_user_jid(lid_jid);
          auto a = signal::address_from_jid(j);
          if (a.ok()) (void)deps_.store.save_identity(*a, account_key);
        },
        done);
  });
  Node reply(
      "iq", {{"to", kServerJid}, {"type", "result"}, {"id", id}},
      Node::Children{Node("pair-device-sign", {},
                          Node::Children{Node("device-identity",
                                              {{"key-index", std::to_string(signed_id->key_index)}},
                                              signed_id->reply)})});
  send_node(reply);
  deps_.events.on_paired(ev);
}

void Client::Impl::handle_link_code_notification(const Node& n) {
  const Node* reg = n.child("link_code_companion_reg");
  if (!reg || !pair_code_ || !creds_) return;
  const Node* wrapped = reg->child("link_code_pairing_wrapped_primary_ephemeral_pub");
  const Node* identity = reg->child("primary_identity_pub");
  const Node* ref = reg->child("link_code_pairing_ref");
  if (!wrapped || !wrapped->bytes() || !identity || !identity->bytes() || !ref) return;
  auto fin = pair_code_->on_primary_hello(*wrapped->bytes(), *identity->bytes(),
                                          signal::from_stored(creds_->identity_key), deps_.random);
  if (!fin.ok()) {
    log()->warn("pair code: {}", fin.status().to_string());
    return;
  }
  creds_->adv_secret_key = fin->adv_secret;
  save_credentials();
  Node finish("link_code_companion_reg",
              {{"jid", creds_->me_pn_jid}, {"stage", "companion_finish"}},
              Node::Children{
                  Node("link_code_pairing_wrapped_key_bundle", {}, fin->wrapped_key_bundle),
                  Node("companion_identity_public", {},
                       core::to_bytes(core::ByteView(creds_->identity_key.public_key))),
                  Node("link_code_pairing_ref", {}, ref->bytes() ? *ref->bytes() : core::Bytes{}),
              });
  send_iq(make_iq("", kServerJid, "set", "md", {std::move(finish)}), [](core::Result<Node>) {});
}

// ------------------------------------------------------------------ Client facade

Client::Client(ClientConfig config, ClientDeps deps)
    : impl_(std::make_unique<Impl>(std::move(config), deps)) {}
Client::~Client() = default;

void Client::connect() { impl_->connect(); }
void Client::disconnect() { impl_->disconnect(DisconnectReason::kUserRequested); }
ConnectionState Client::state() const { return impl_->state_; }
bool Client::paired() const { return impl_->creds_ && impl_->creds_->registered; }
std::string Client::own_jid() const { return impl_->creds_ ? impl_->creds_->me_pn_jid : ""; }
std::string Client::own_lid() const { return impl_->creds_ ? impl_->creds_->me_lid_jid : ""; }
size_t Client::pending_sends() const { return impl_->outbox_->size(); }

void Client::request_pair_code(const std::string& phone,
                               std::function<void(core::Result<std::string>)> done) {
  auto& I = *impl_;
  if (I.state_ != ConnectionState::kPairing || !I.creds_) {
    return done(core::Status::failed_precondition("not on a registration connection"));
  }
  auto session = pairing::PairCodeSession::start(I.deps_.random);
  if (!session.ok()) return done(session.status());
  I.pair_code_ = std::move(*session);
  I.creds_->me_pn_jid = phone + "@s.whatsapp.net";
  std::string code = I.pair_code_->code();
  Node reg("link_code_companion_reg",
           {{"jid", I.creds_->me_pn_jid},
            {"stage", "companion_hello"},
            {"should_show_push_notification", "true"}},
           Node::Children{
               Node("link_code_pairing_wrapped_companion_ephemeral_pub", {},
                    I.pair_code_->wrapped_companion_ephemeral()),
               Node("companion_server_auth_key_pub", {},
                    core::to_bytes(core::ByteView(I.creds_->noise_key.public_key))),
               Node("companion_platform_id", {}, core::to_bytes(I.config_.device.qr_platform)),
               Node("companion_platform_display", {},
                    core::to_bytes(I.config_.device.browser + " (" + I.config_.device.os + ")")),
               Node("link_code_pairing_nonce", {}, core::to_bytes("0")),
           });
  I.send_iq(make_iq("", kServerJid, "set", "md", {std::move(reg)}),
            [done = std::move(done), code](core::Result<Node> r) {
              if (!r.ok()) return done(r.status());
              done(code);
            });
}

void Client::logout(std::function<void(core::Status)> done) {
  auto& I = *impl_;
  if (!I.creds_ || !I.creds_->registered || !I.logged_in_) {
    if (done) done(core::Status::failed_precondition("not logged in"));
    return;
  }
  Node rm("remove-companion-device", {{"jid", I.creds_->me_pn_jid}, {"reason", "user_initiated"}});
  I.send_iq(make_iq("", kServerJid, "set", "md", {std::move(rm)}),
            [&I, done = std::move(done)](core::Result<Node> r) {
              DisconnectInfo d;
              d.reason = DisconnectReason::kUserRequested;
              d.logged_out = true;
              d.reconnect = false;
              d.detail = "logged out by request";
              I.handle_disconnect(d);
              if (done) done(r.status());
            });
}

void Client::query(Node iq, std::function<void(core::Result<Node>)> done) {
  impl_->send_iq(std::move(iq), std::move(done));
}

}  // namespace wa::client
