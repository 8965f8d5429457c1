#include "simulator/simulator_impl.h"

#include <filesystem>

#include <spdlog/spdlog.h>
#include "core/encoding.h"
#include "core/log.h"
#include "proto/client_payload.pb.h"
#include "simulator/virtual_contact.h"
#include "wa/binary/jid.h"

namespace sim {

core::Result<std::unique_ptr<Simulator>> Simulator::open(SimulatorConfig config, core::Clock& clock,
                                                         core::Random& random,
                                                         Scheduler& scheduler) {
  auto impl = std::make_unique<SimulatorImpl>(std::move(config), clock, random, scheduler);
  CORE_RETURN_IF_ERROR(impl->init());
  return std::unique_ptr<Simulator>(std::move(impl));
}

SimulatorImpl::SimulatorImpl(SimulatorConfig config, core::Clock& clock, core::Random& random,
                             Scheduler& scheduler)
    : config_(std::move(config)), clock_(clock), random_(random), scheduler_(scheduler) {}

SimulatorImpl::~SimulatorImpl() = default;

core::Status SimulatorImpl::init() {
  std::string db_path = ":memory:";
  if (!config_.ephemeral) {
    std::error_code ec;
    std::filesystem::create_directories(config_.state_dir + "/media", ec);
    if (ec) return core::Status::unavailable("creating " + config_.state_dir + ": " + ec.message());
    db_path = config_.state_dir + "/sim.db";
  }
  CORE_ASSIGN_OR_RETURN(store_, StateStore::open(db_path));
  CORE_RETURN_IF_ERROR(init_identity());

  uint64_t max_seq = 0;
  CORE_RETURN_IF_ERROR(store_->load(accounts_, groups_, max_seq));
  next_seq_ = max_seq + 1;
  for (auto& [phone, account] : accounts_) {
    lid_to_phone_[account.lid] = phone;
    if (account.virtual_kind != VirtualKind::kNone) {
      CORE_RETURN_IF_ERROR(init_virtual(account, /*created=*/false));
    }
  }

  if (auto token = store_->get_meta("media_auth")) {
    media_auth_ = core::to_string(*token);
  } else {
    media_auth_ = core::base64url_encode(random_.bytes(24));
    persist(store_->put_meta("media_auth", core::as_view(media_auth_)));
  }

  stanza_handlers_ = {
      {"iq", &SimulatorImpl::handle_iq},
      {"message", &SimulatorImpl::handle_message},
      {"receipt", &SimulatorImpl::handle_receipt},
      {"ack", &SimulatorImpl::handle_ack},
      {"presence", &SimulatorImpl::handle_presence},
      {"chatstate", &SimulatorImpl::handle_chatstate},
      {"ib", &SimulatorImpl::handle_ib},
  };
  iq_handlers_ = {
      {"w:p", &SimulatorImpl::handle_ping_iq},
      {"passive", &SimulatorImpl::handle_passive_iq},
      {"encrypt", &SimulatorImpl::handle_encrypt_iq},
      {"usync", &SimulatorImpl::handle_usync_iq},
      {"w:g2", &SimulatorImpl::handle_group_iq},
      {"w:m", &SimulatorImpl::handle_media_conn_iq},
      {"privacy", &SimulatorImpl::handle_privacy_iq},
      {"blocklist", &SimulatorImpl::handle_blocklist_iq},
      {"abt", &SimulatorImpl::handle_abt_iq},
      {"w:sync:app:state", &SimulatorImpl::handle_app_state_iq},
      {"md", &SimulatorImpl::handle_md_iq},
  };
  return {};
}

void SimulatorImpl::persist(const core::Status& status) {
  if (!status.ok()) core::get_logger("sim.state")->error("persisting: {}", status.to_string());
}

// --- lookups ---------------------------------------------------------------------------------

Account* SimulatorImpl::find_account(const std::string& phone) {
  auto it = accounts_.find(phone);
  return it == accounts_.end() ? nullptr : &it->second;
}

Connection* SimulatorImpl::find_conn(ConnId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second;
}

Connection* SimulatorImpl::device_conn(const std::string& phone, uint16_t device) {
  auto it = device_conns_.find({phone, device});
  return it == device_conns_.end() ? nullptr : find_conn(it->second);
}

std::optional<SimulatorImpl::Addr> SimulatorImpl::resolve(std::string_view text) {
  auto jid = wa::binary::parse_jid(text);
  if (!jid.ok() || jid->user.empty()) return std::nullopt;
  Addr addr;
  addr.device = jid->device;
  if (jid->server == wa::binary::kUserServer || jid->server == wa::binary::kLegacyUserServer) {
    addr.account = find_account(jid->user);
  } else if (jid->server == wa::binary::kLidServer) {
    auto it = lid_to_phone_.find(jid->user);
    if (it != lid_to_phone_.end()) addr.account = find_account(it->second);
    addr.lid = true;
  }
  if (!addr.account) return std::nullopt;
  return addr;
}

std::vector<uint16_t> SimulatorImpl::routable_devices(const Account& a) const {
  std::vector<uint16_t> out;
  for (const auto& [id, device] : a.devices) {
    if (id == 0 && a.virtual_kind == VirtualKind::kNone) continue;
    out.push_back(id);
  }
  return out;
}

std::string SimulatorImpl::new_id() {
  uint8_t b[8];
  random_.fill(b);
  std::string hex = core::hex_encode(b);
  for (auto& ch : hex) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return hex + std::to_string(++id_counter_);
}

// --- connection lifecycle --------------------------------------------------------------------

ConnId SimulatorImpl::on_connected(std::shared_ptr<ConnectionSink> sink) {
  const ConnId id = next_conn_++;
  Connection& c = conns_[id];
  c.id = id;
  c.sink = std::move(sink);
  ++stats_.connections_open;
  ++stats_.connections_total;
  return id;
}

void SimulatorImpl::on_client_payload(ConnId id, core::ByteView client_static,
                                      core::ByteView client_payload) {
  Connection* c = find_conn(id);
  if (!c || c->phase != Connection::Phase::kHandshake) return;
  c->client_static = core::to_bytes(client_static);
  waproto::ClientPayload payload;
  if (client_payload.size() > (1u << 20) ||
      !payload.ParseFromArray(client_payload.data(), static_cast<int>(client_payload.size()))) {
    send(id, make_node("failure", {{"reason", "400"}}));
    close_conn(id);
    return;
  }
  if (payload.has_device_pairing_data()) {
    handle_registration(*c, payload);
  } else if (payload.has_username()) {
    handle_login(*c, payload);
  } else {
    send(id, make_node("failure", {{"reason", "400"}}));
    close_conn(id);
  }
}

void SimulatorImpl::on_node(ConnId id, const Node& node) {
  Connection* c = find_conn(id);
  if (!c) return;
  ++stats_.frames_in;
  if (c->phase == Connection::Phase::kRegistration) {
    // Until paired, a companion may only answer our iqs, ping, and run the pair-code flow.
    if (node.tag == "iq") handle_iq(*c, node);
    return;
  }
  if (c->phase != Connection::Phase::kLoggedIn) return;
  auto it = stanza_handlers_.find(node.tag);
  if (it != stanza_handlers_.end()) (this->*(it->second))(*c, node);
  // Unknown top-level stanzas (call, …) are ignored, as the real server ignores junk.
}

void SimulatorImpl::on_disconnected(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Connection c = std::move(it->second);
  conns_.erase(it);
  --stats_.connections_open;
  if (c.phase == Connection::Phase::kLoggedIn) {
    auto dc = device_conns_.find({c.phone, c.device});
    if (dc != device_conns_.end() && dc->second == id) device_conns_.erase(dc);
    if (c.available) {
      if (Account* a = find_account(c.phone)) relay_presence(*a);
    }
  }
  if (c.reg) {
    if (c.reg->pairing && c.reg->pairing->done) {
      c.reg->pairing->done(core::Status::unavailable("companion disconnected before pairing"));
    } else if (c.reg->link_code && c.reg->link_code->done) {
      c.reg->link_code->done(core::Status::unavailable("companion disconnected before pairing"));
    }
  }
}

int SimulatorImpl::outgoing_delay_ms(ConnId id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? 0 : it->second.delay_ms;
}

Stats SimulatorImpl::stats() const {
  Stats s = stats_;
  s.messages_queued = 0;
  for (const auto& [phone, a] : accounts_)
    for (const auto& [id, d] : a.devices)
      for (const auto& e : d.queue)
        if (!e.sent) ++s.messages_queued;
  return s;
}

// --- output ----------------------------------------------------------------------------------

void SimulatorImpl::send(ConnId id, const Node& node) {
  Connection* c = find_conn(id);
  if (!c || c->phase == Connection::Phase::kClosed) return;
  ++stats_.frames_out;
  auto sink = c->sink;  // the sink may re-enter on_disconnected; keep it alive
  sink->send(node);
}

void SimulatorImpl::close_conn(ConnId id) {
  Connection* c = find_conn(id);
  if (!c || c->phase == Connection::Phase::kClosed) return;
  if (c->phase == Connection::Phase::kLoggedIn) {
    // Offline from now on: later deliveries queue instead of going into a closing socket.
    auto dc = device_conns_.find({c->phone, c->device});
    if (dc != device_conns_.end() && dc->second == id) device_conns_.erase(dc);
    c->active = false;
  }
  c->phase = Connection::Phase::kClosed;
  auto sink = c->sink;
  sink->close();  // may call on_disconnected synchronously; `c` is not used afterwards
}

void SimulatorImpl::stream_error(ConnId id, int code, std::optional<Node> child) {
  Node err = make_node("stream:error");
  if (code != 0) err.set("code", std::to_string(code));
  if (child) err.add_child(std::move(*child));
  send(id, err);
  close_conn(id);
}

void SimulatorImpl::broadcast_online(const Node& node, ConnId except) {
  std::vector<ConnId> targets;
  for (const auto& [id, c] : conns_)
    if (id != except && c.phase == Connection::Phase::kLoggedIn && c.active) targets.push_back(id);
  for (ConnId id : targets) send(id, node);
}

// --- delivery and offline queues -------------------------------------------------------------

void SimulatorImpl::deliver(Account& account, uint16_t device, Node stanza) {
  if (device == 0 && account.virtual_kind != VirtualKind::kNone) {
    virtual_receive(account, stanza);
    return;
  }
  auto dit = account.devices.find(device);
  if (dit == account.devices.end()) return;
  Device& d = dit->second;
  Connection* c = device_conn(account.phone, device);
  const bool online = c && c->active;
  const ConnId cid = c ? c->id : 0;
  if (stanza.tag == "message" || !online) {
    QueueEntry e;
    e.seq = next_seq_++;
    e.tag = stanza.tag;
    e.id = stanza.attr_or("id", "");
    e.node = stanza;
    e.sent = online;
    persist(store_->queue_put(account.phone, device, e));
    d.queue.push_back(std::move(e));
  }
  if (online) send(cid, stanza);
}

void SimulatorImpl::flush_queue(ConnId id) {
  Connection* c = find_conn(id);
  if (!c || c->phase != Connection::Phase::kLoggedIn || c->active) return;
  c->active = true;
  Account* a = find_account(c->phone);
  std::vector<Node> out;
  if (a) {
    auto dit = a->devices.find(c->device);
    if (dit != a->devices.end()) {
      auto& queue = dit->second.queue;
      for (auto it = queue.begin(); it != queue.end();) {
        Node n = it->node;
        n.set("offline", "1");
        out.push_back(std::move(n));
        if (it->tag == "message") {
          if (!it->sent) {
            it->sent = true;
            persist(store_->queue_put(a->phone, c->device, *it));
          }
          ++it;
        } else {
          persist(store_->queue_remove(it->seq));
          it = queue.erase(it);
        }
      }
    }
  }
  const size_t count = out.size();
  for (const auto& n : out) send(id, n);
  send(id, make_node("ib", {{"from", std::string(kServerJid)}},
                     Node::Children{make_node("offline", {{"count", std::to_string(count)}})}));
}

void SimulatorImpl::dequeue(Account& account, uint16_t device, std::string_view tag,
                            std::string_view id) {
  auto dit = account.devices.find(device);
  if (dit == account.devices.end() || id.empty()) return;
  auto& queue = dit->second.queue;
  for (auto it = queue.begin(); it != queue.end();) {
    if (it->id == id && it->tag == tag) {
      persist(store_->queue_remove(it->seq));
      it = queue.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace sim
