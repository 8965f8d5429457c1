// Sending: device discovery (usync), session set-up (key fetch), 1:1 with own-device fan-out
// (DSM), groups with sender keys and SKDM distribution, the outbound pump, retry resends.
#include "core/log.h"
#include "wa/binary/jid.h"
#include "wa/client/client_impl.h"
#include "wa/signal/address.h"
#include "wa/signal/padding.h"

#include <spdlog/spdlog.h>

namespace wa::client {

namespace {
std::shared_ptr<spdlog::logger> log() {
  static auto l = core::get_logger("wa.client");
  return l;
}

std::string serialize(const waproto::Message& m) { return m.SerializeAsString(); }

std::string device_jid_of(const std::string& user, const std::string& server, uint32_t device) {
  return device == 0 ? user + "@" + server : user + ":" + std::to_string(device) + "@" + server;
}

uint32_t device_of(const std::string& jid) {
  auto j = binary::parse_jid(jid);
  return j.ok() ? j->device : 0;
}

}  // namespace

// ------------------------------------------------------------------ LID mapping

void Client::Impl::learn_lid(const std::string& pn_user, const std::string& lid_user) {
  if (pn_user.empty() || lid_user.empty()) return;
  auto it = lid_by_pn_.find(pn_user);
  if (it != lid_by_pn_.end() && it->second == lid_user) return;
  // A small cache in front of the store: the store is the truth, this only saves store reads
  // for the contacts a client talks to right now. Bounded so idle clients stay small.
  constexpr size_t kCacheLimit = 256;
  if (lid_by_pn_.size() >= kCacheLimit) {
    lid_by_pn_.clear();
    pn_by_lid_.clear();
    if (creds_ && !creds_->me_lid_jid.empty()) {
      lid_by_pn_[user_of(creds_->me_pn_jid)] = user_of(creds_->me_lid_jid);
      pn_by_lid_[user_of(creds_->me_lid_jid)] = user_of(creds_->me_pn_jid);
    }
  }
  lid_by_pn_[pn_user] = lid_user;
  pn_by_lid_[lid_user] = pn_user;
  enqueue([this, pn_user, lid_user](std::function<void()> done) {
    run_store([this, pn_user, lid_user] { (void)deps_.store.store_lid_mapping(pn_user, lid_user); },
              done);
  });
}

std::optional<std::string> Client::Impl::lid_for(const std::string& pn_user) const {
  auto it = lid_by_pn_.find(pn_user);
  if (it == lid_by_pn_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Client::Impl::pn_for(const std::string& lid_user) const {
  auto it = pn_by_lid_.find(lid_user);
  if (it == pn_by_lid_.end()) return std::nullopt;
  return it->second;
}

void Client::Impl::invalidate_devices(const std::string& user) {
  devices_.erase(user);
  std::string u = user_of(user);
  if (server_of(user) == "lid") {
    if (auto pn = pn_for(u)) devices_.erase(*pn + "@s.whatsapp.net");
  } else if (auto lid = lid_for(u)) {
    devices_.erase(*lid + "@lid");
  }
}

// ------------------------------------------------------------------ devices

void Client::Impl::ensure_devices(const std::vector<std::string>& users,
                                  std::function<void(core::Status)> done) {
  auto now = deps_.clock.steady_now();
  std::vector<std::string> missing;
  for (const auto& u : users) {
    auto it = devices_.find(u);
    if (it == devices_.end() || now - it->second.fetched > config_.device_cache_ttl) {
      if (std::find(missing.begin(), missing.end(), u) == missing.end()) missing.push_back(u);
    }
  }
  if (missing.empty()) return done(core::Status());
  uint64_t gen = conn_gen_;
  Node q = build_usync_query(next_id(), next_id(), missing, "message", true, true);
  send_iq(std::move(q), [this, gen, missing, done = std::move(done)](core::Result<Node> r) {
    if (gen != conn_gen_) return done(core::Status::unavailable("connection changed"));
    if (!r.ok()) return done(r.status());
    auto users = parse_usync(*r);
    if (!users.ok()) return done(users.status());
    auto now = deps_.clock.steady_now();
    for (const auto& u : *users) {
      DeviceList dl;
      dl.fetched = now;
      for (const auto& d : u.devices) dl.devices.push_back(d.id);
      std::string key = to_user_jid(u.jid);
      if (!u.lid.empty() && server_of(key) == "s.whatsapp.net") {
        learn_lid(user_of(key), user_of(u.lid));
        if (u.has_devices) devices_[to_user_jid(u.lid)] = dl;
      }
      if (u.has_devices) devices_[key] = std::move(dl);
    }
    for (const auto& m : missing) {
      if (!devices_.count(m)) devices_[m] = DeviceList{{}, now};  // unknown user: no devices
    }
    done(core::Status());
  });
}

std::vector<std::string> Client::Impl::device_jids(const std::string& user_jid,
                                                   bool include_self) const {
  std::vector<std::string> out;
  auto it = devices_.find(user_jid);
  if (it == devices_.end()) return out;
  std::string user = user_of(user_jid), server = server_of(user_jid);
  uint32_t own_device = creds_ ? device_of(creds_->me_pn_jid) : 0;
  bool own = creds_ && (same_user(user_jid, creds_->me_pn_jid) ||
                        (!creds_->me_lid_jid.empty() && same_user(user_jid, creds_->me_lid_jid)));
  for (uint32_t d : it->second.devices) {
    if (own && d == own_device && !include_self) continue;
    out.push_back(device_jid_of(user, server, d));
  }
  return out;
}

// ------------------------------------------------------------------ sessions

void Client::Impl::ensure_sessions(const std::vector<std::string>& jids, bool force,
                                   std::function<void(core::Status)> done) {
  if (jids.empty()) return done(core::Status());
  uint64_t gen = conn_gen_;
  enqueue([this, jids, force, gen, done = std::move(done)](std::function<void()> job_done) mutable {
    auto missing = std::make_shared<std::vector<std::string>>();
    run_store(
        [this, jids, force, missing] {
          auto* sp = signal_protocol();
          if (!sp) return;
          for (const auto& j : jids) {
            auto addr = signal::preferred_address(j, deps_.store);
            if (!addr.ok()) continue;
            if (force) (void)deps_.store.delete_session(*addr);
            auto has = sp->has_session(*addr);
            if (has.ok() && *has) continue;
            auto aj = signal::jid_from_address(*addr);
            if (aj.ok()) missing->push_back(*aj);
          }
        },
        [this, missing, gen, job_done, done = std::move(done)]() mutable {
          job_done();
          if (missing->empty()) return done(core::Status());
          if (gen != conn_gen_) return done(core::Status::unavailable("connection changed"));
          Node key("key");
          for (const auto& j : *missing) key.add_child(Node("user", {{"jid", j}}));
          send_iq(make_iq("", kServerJid, "get", "encrypt", {std::move(key)}),
                  [this, done = std::move(done)](core::Result<Node> r) mutable {
                    if (!r.ok()) return done(r.status());
                    auto bundles = parse_key_bundles(*r);
                    if (!bundles.ok()) return done(bundles.status());
                    auto b = std::make_shared<std::vector<FetchedBundle>>(std::move(*bundles));
                    enqueue([this, b, done = std::move(done)](std::function<void()> jd) mutable {
                      auto changed = std::make_shared<std::vector<std::string>>();
                      run_store(
                          [this, b, changed] {
                            auto* sp = signal_protocol();
                            if (!sp) return;
                            for (const auto& fb : *b) {
                              auto addr = signal::address_from_jid(fb.jid);
                              if (!addr.ok()) continue;
                              auto r = sp->process_bundle(*addr, fb.bundle);
                              if (!r.ok()) {
                                log()->warn("bundle for {}: {}", fb.jid, r.status().to_string());
                              } else if (r->identity_changed) {
                                changed->push_back(fb.jid);
                              }
                            }
                          },
                          [this, changed, jd, done = std::move(done)] {
                            for (const auto& j : *changed) {
                              deps_.events.on_identity_change(IdentityChangeEvent{j});
                            }
                            jd();
                            done(core::Status());
                          });
                    });
                  });
        });
  });
}

// ------------------------------------------------------------------ outbound pump

void Client::Impl::pump() {
  if (sending_ || !logged_in_ || state_ != ConnectionState::kConnected) return;
  auto m = outbox_->front();
  if (!m) return;
  if (m->attempts > 0 && !offline_synced_) {
    if (!offline_wait_timer_) {
      uint64_t gen = conn_gen_;
      offline_wait_timer_ = deps_.scheduler.after(kOfflineResendWait, [this, gen] {
        if (gen != conn_gen_) return;
        offline_synced_ = true;
        pump();
      });
    }
    return;
  }
  sending_ = m->id;
  send_one(std::move(*m));
}

void Client::Impl::send_one(OutboundMessage m) {
  waproto::Message msg;
  if (!msg.ParseFromString(m.message)) {
    return finish_send(m.id, false, 400, "message does not serialize", 0);
  }
  ++m.attempts;
  outbox_->update(m);
  if (server_of(m.to) == "g.us") {
    uint64_t gen = conn_gen_;
    std::string group = m.to;
    // Metadata is cached; notifications about the group invalidate it.
    auto it = groups_.find(group);
    if (it != groups_.end()) return send_group(std::move(m), std::move(msg), it->second);
    Node q = make_iq("", group, "get", "w:g2", {Node("query", {{"request", "interactive"}})});
    send_iq(std::move(q), [this, gen, m = std::move(m),
                           msg = std::move(msg)](core::Result<Node> r) mutable {
      if (gen != conn_gen_) return;
      const Node* g = r.ok() ? r->child("group") : nullptr;
      auto info =
          g ? parse_group(*g) : core::Result<GroupInfo>(core::Status::not_found("no group"));
      if (!info.ok()) {
        return finish_send(m.id, false, 404, "group metadata: " + info.status().to_string(), 0);
      }
      groups_[info->jid] = *info;
      send_group(std::move(m), std::move(msg), std::move(*info));
    });
    return;
  }
  send_direct(std::move(m), std::move(msg));
}

void Client::Impl::send_direct(OutboundMessage m, waproto::Message msg) {
  if (!creds_) return;
  uint64_t gen = conn_gen_;
  std::string chat = to_user_jid(m.to);
  bool lid_chat = server_of(chat) == "lid";
  std::string own_user = lid_chat && !creds_->me_lid_jid.empty() ? to_user_jid(creds_->me_lid_jid)
                                                                 : to_user_jid(creds_->me_pn_jid);
  ensure_devices({chat, own_user}, [this, gen, m, msg, chat, own_user](core::Status st) mutable {
    if (gen != conn_gen_) return;
    if (!st.ok()) {
      log()->warn("usync failed: {}", st.to_string());
      DisconnectInfo d;
      d.reason = DisconnectReason::kTimeout;
      d.detail = "usync failed while sending";
      if (st.code() == core::StatusCode::kDeadlineExceeded) return handle_disconnect(d);
      return finish_send(m.id, false, 500, st.to_string(), 0);
    }
    auto peer = device_jids(chat, false);
    auto own = device_jids(own_user, false);
    if (peer.empty()) return finish_send(m.id, false, 404, "recipient has no devices", 0);
    std::vector<std::string> all = peer;
    all.insert(all.end(), own.begin(), own.end());
    ensure_sessions(all, false, [this, gen, m, msg, peer, own](core::Status st) mutable {
      if (gen != conn_gen_) return;
      if (!st.ok() && st.code() == core::StatusCode::kDeadlineExceeded) {
        DisconnectInfo d;
        d.reason = DisconnectReason::kTimeout;
        d.detail = "key fetch timed out";
        return handle_disconnect(d);
      }
      struct Out {
        Node participants{"participants"};
        bool any_pkmsg = false;
        core::Status status;
      };
      auto out = std::make_shared<Out>();
      StanzaKind kind = stanza_kind(msg);
      enqueue([this, gen, m, msg, peer, own, out, kind](std::function<void()> done) {
        core::Bytes plain_peer = signal::pad(core::as_view(serialize(msg)), deps_.random);
        waproto::Message dsm;
        dsm.mutable_device_sent_message()->set_destination_jid(m.to);
        *dsm.mutable_device_sent_message()->mutable_message() = msg;
        if (msg.has_message_context_info()) {
          *dsm.mutable_message_context_info() = msg.message_context_info();
          dsm.mutable_device_sent_message()->mutable_message()->clear_message_context_info();
        }
        core::Bytes plain_own = signal::pad(core::as_view(serialize(dsm)), deps_.random);
        run_store(
            [this, peer, own, out, kind, plain_peer, plain_own] {
              auto* sp = signal_protocol();
              if (!sp) {
                out->status = core::Status::internal("no signal state");
                return;
              }
              auto txn = deps_.store.begin();
              auto add = [&](const std::string& jid, const core::Bytes& plain) {
                auto addr = signal::preferred_address(jid, deps_.store);
                if (!addr.ok()) return;
                auto enc = sp->encrypt(*txn, *addr, plain);
                if (!enc.ok()) {
                  log()->warn("encrypt to {}: {}", jid, enc.status().to_string());
                  return;
                }
                if (enc->type == signal::MessageType::kPreKey) out->any_pkmsg = true;
                Node e("enc", {{"v", "2"}, {"type", std::string(enc->type_name())}},
                       std::move(enc->ciphertext));
                if (!kind.media_type.empty()) e.set("mediatype", kind.media_type);
                out->participants.add_child(
                    Node("to", {{"jid", jid}}, Node::Children{std::move(e)}));
              };
              for (const auto& j : peer) add(j, plain_peer);
              for (const auto& j : own) add(j, plain_own);
              out->status = txn->commit();
            },
            [this, gen, m, out, kind, done] {
              done();
              if (gen != conn_gen_) return;
              if (!out->status.ok() || !out->participants.child_list()) {
                return finish_send(m.id, false, 500,
                                   "encryption failed: " + out->status.to_string(), 0);
              }
              Node stanza("message", {{"id", m.id}, {"to", m.to}, {"type", kind.type}});
              if (!kind.edit.empty()) stanza.set("edit", kind.edit);
              stanza.add_child(std::move(out->participants));
              if (out->any_pkmsg && !creds_->account.empty()) {
                stanza.add_child(Node("device-identity", {}, creds_->account));
              }
              sending_group_.clear();
              sending_devices_.clear();
              remember_sent(m.id, m.to, m.message);
              send_node(stanza);
              send_timer_ = deps_.scheduler.after(config_.send_ack_timeout, [this] {
                DisconnectInfo d;
                d.reason = DisconnectReason::kTimeout;
                d.detail = "no server ack for a sent message";
                handle_disconnect(d);
              });
            });
      });
    });
  });
}

void Client::Impl::send_group(OutboundMessage m, waproto::Message msg, GroupInfo group) {
  if (!creds_) return;
  uint64_t gen = conn_gen_;
  bool lid_mode = group.addressing_mode == "lid";
  std::vector<std::string> users;
  for (const auto& p : group.participants) users.push_back(to_user_jid(p.jid));
  std::string own_user = lid_mode && !creds_->me_lid_jid.empty() ? to_user_jid(creds_->me_lid_jid)
                                                                 : to_user_jid(creds_->me_pn_jid);
  if (std::find(users.begin(), users.end(), own_user) == users.end()) users.push_back(own_user);
  ensure_devices(users, [this, gen, m, msg, users, group, lid_mode](core::Status st) mutable {
    if (gen != conn_gen_) return;
    if (!st.ok()) return finish_send(m.id, false, 500, "usync: " + st.to_string(), 0);
    std::vector<std::string> need;
    auto& sent = skdm_sent_[group.jid];
    for (const auto& u : users) {
      for (auto& d : device_jids(u, false)) {
        if (!sent.count(d)) need.push_back(d);
      }
    }
    ensure_sessions(need, false, [this, gen, m, msg, need, group, lid_mode](core::Status) mutable {
      if (gen != conn_gen_) return;
      struct Out {
        Node participants{"participants"};
        core::Bytes skmsg;
        bool any_pkmsg = false;
        std::vector<std::string> got_skdm;
        core::Status status;
      };
      auto out = std::make_shared<Out>();
      StanzaKind kind = stanza_kind(msg);
      std::string own_device =
          lid_mode && !creds_->me_lid_jid.empty() ? creds_->me_lid_jid : creds_->me_pn_jid;
      enqueue([this, gen, m, msg, need, group, lid_mode, out, kind,
               own_device](std::function<void()> done) {
        core::Bytes plain = signal::pad(core::as_view(serialize(msg)), deps_.random);
        run_store(
            [this, m, need, out, own_device, plain, gid = group.jid] {
              auto* sp = signal_protocol();
              if (!sp) {
                out->status = core::Status::internal("no signal state");
                return;
              }
              auto txn = deps_.store.begin();
              auto own_addr = signal::preferred_address(own_device, deps_.store);
              if (!own_addr.ok()) {
                out->status = own_addr.status();
                return;
              }
              auto skdm = sp->create_sender_key_distribution(*txn, gid, *own_addr);
              if (!skdm.ok()) {
                out->status = skdm.status();
                return;
              }
              auto sk = sp->group_encrypt(*txn, gid, *own_addr, plain);
              if (!sk.ok()) {
                out->status = sk.status();
                return;
              }
              out->skmsg = std::move(*sk);
              if (!need.empty()) {
                waproto::Message dist;
                dist.mutable_sender_key_distribution_message()->set_group_id(gid);
                dist.mutable_sender_key_distribution_message()
                    ->set_axolotl_sender_key_distribution_message(skdm->data(), skdm->size());
                core::Bytes dplain = signal::pad(core::as_view(serialize(dist)), deps_.random);
                for (const auto& jid : need) {
                  auto addr = signal::preferred_address(jid, deps_.store);
                  if (!addr.ok()) continue;
                  auto enc = sp->encrypt(*txn, *addr, dplain);
                  if (!enc.ok()) continue;
                  if (enc->type == signal::MessageType::kPreKey) out->any_pkmsg = true;
                  out->participants.add_child(Node(
                      "to", {{"jid", jid}},
                      Node::Children{Node("enc",
                                          {{"v", "2"}, {"type", std::string(enc->type_name())}},
                                          std::move(enc->ciphertext))}));
                  out->got_skdm.push_back(jid);
                }
              }
              out->status = txn->commit();
            },
            [this, gen, m, out, kind, group, lid_mode, done] {
              done();
              if (gen != conn_gen_) return;
              if (!out->status.ok()) {
                return finish_send(m.id, false, 500,
                                   "group encryption failed: " + out->status.to_string(), 0);
              }
              Node stanza("message", {{"id", m.id},
                                      {"to", group.jid},
                                      {"type", kind.type},
                                      {"addressing_mode", lid_mode ? "lid" : "pn"}});
              if (!kind.edit.empty()) stanza.set("edit", kind.edit);
              if (out->participants.child_list()) stanza.add_child(std::move(out->participants));
              Node sk("enc", {{"v", "2"}, {"type", "skmsg"}}, std::move(out->skmsg));
              if (!kind.media_type.empty()) sk.set("mediatype", kind.media_type);
              stanza.add_child(std::move(sk));
              if (out->any_pkmsg && !creds_->account.empty()) {
                stanza.add_child(Node("device-identity", {}, creds_->account));
              }
              sending_group_ = group.jid;
              sending_devices_ = out->got_skdm;
              remember_sent(m.id, m.to, m.message);
              send_node(stanza);
              send_timer_ = deps_.scheduler.after(config_.send_ack_timeout, [this] {
                DisconnectInfo d;
                d.reason = DisconnectReason::kTimeout;
                d.detail = "no server ack for a sent message";
                handle_disconnect(d);
              });
            });
      });
    });
  });
}

void Client::Impl::finish_send(const std::string& id, bool ok, int code, std::string detail,
                               int64_t t) {
  send_timer_.reset();
  std::string to;
  if (auto f = outbox_->front(); f && f->id == id) to = f->to;
  outbox_->remove(id);
  if (sending_ && *sending_ == id) sending_.reset();
  SendResultEvent ev;
  ev.id = id;
  ev.chat = to;
  ev.ok = ok;
  ev.error_code = code;
  ev.detail = std::move(detail);
  ev.server_timestamp = t;
  deps_.events.on_send_result(ev);
  auto alive = alive_;
  deps_.scheduler.post([this, alive] {
    if (*alive) pump();
  });
}

void Client::Impl::remember_sent(const std::string& id, const std::string& to,
                                 const std::string& msg) {
  constexpr size_t kKeep = 64;
  for (auto& r : recent_sent_) {
    if (r.id == id) {
      r.to = to;
      r.message = msg;
      return;
    }
  }
  if (recent_sent_.size() < kKeep) {
    recent_sent_.push_back({id, to, msg});
  } else {
    recent_sent_[recent_sent_pos_] = {id, to, msg};
    recent_sent_pos_ = (recent_sent_pos_ + 1) % kKeep;
  }
}

// ------------------------------------------------------------------ retry requests from peers

void Client::Impl::handle_retry_receipt(const Node& receipt) {
  std::string id = receipt.attr_or("id", "");
  std::string from = receipt.attr_or("from", "");
  bool group = server_of(from) == "g.us";
  std::string device = group ? receipt.attr_or("participant", "") : from;
  const SentRecord* rec = nullptr;
  for (const auto& r : recent_sent_) {
    if (r.id == id) rec = &r;
  }
  if (rec == nullptr || device.empty() || !creds_) return;
  if (!resends_) resends_ = std::make_unique<RetryCounter>(256);
  uint32_t n = resends_->next(id + "/" + device);
  if (n > config_.max_retries) return;
  uint32_t count = 1;
  if (const Node* r = receipt.child("retry")) count = static_cast<uint32_t>(attr_uint(*r, "count"));
  waproto::Message msg;
  if (!msg.ParseFromString(rec->message)) return;
  std::string to = rec->to;
  uint64_t gen = conn_gen_;
  auto keys = parse_retry_keys(receipt, static_cast<uint32_t>(device_of(device)));
  auto resend = [this, gen, id, to, device, group, msg, count]() mutable {
    bool own = same_user(device, creds_->me_pn_jid) ||
               (!creds_->me_lid_jid.empty() && same_user(device, creds_->me_lid_jid));
    waproto::Message content = msg;
    if (group) {
      // The peer lost our sender key too: carry a fresh distribution with the content.
      content.mutable_sender_key_distribution_message()->set_group_id(to);
    }
    if (own && !group) {
      waproto::Message dsm;
      dsm.mutable_device_sent_message()->set_destination_jid(to);
      *dsm.mutable_device_sent_message()->mutable_message() = msg;
      content = dsm;
    }
    StanzaKind kind = stanza_kind(msg);
    auto out = std::make_shared<std::optional<signal::EncryptedMessage>>();
    enqueue([this, gen, id, to, device, group, content, kind, out, own,
             count](std::function<void()> done) mutable {
      run_store(
          [this, group, to, device, content, out]() mutable {
            auto* sp = signal_protocol();
            if (!sp) return;
            auto txn = deps_.store.begin();
            if (group) {
              std::string own_device = server_of(device) == "lid" && !creds_->me_lid_jid.empty()
                                           ? creds_->me_lid_jid
                                           : creds_->me_pn_jid;
              auto own_addr = signal::preferred_address(own_device, deps_.store);
              if (!own_addr.ok()) return;
              auto skdm = sp->create_sender_key_distribution(*txn, to, *own_addr);
              if (!skdm.ok()) return;
              content.mutable_sender_key_distribution_message()
                  ->set_axolotl_sender_key_distribution_message(skdm->data(), skdm->size());
            }
            auto addr = signal::preferred_address(device, deps_.store);
            if (!addr.ok()) return;
            core::Bytes plain =
                signal::pad(core::as_view(content.SerializeAsString()), deps_.random);
            auto enc = sp->encrypt(*txn, *addr, plain);
            if (!enc.ok() || !txn->commit().ok()) return;
            *out = std::move(*enc);
          },
          [this, gen, id, to, device, group, kind, out, own, count, done] {
            done();
            if (gen != conn_gen_ || !out->has_value()) return;
            Node e("enc",
                   {{"v", "2"},
                    {"type", std::string((*out)->type_name())},
                    {"count", std::to_string(count)}},
                   std::move((*out)->ciphertext));
            if (!kind.media_type.empty()) e.set("mediatype", kind.media_type);
            Node stanza("message", {{"id", id}, {"type", kind.type}});
            if (group) {
              stanza.set("to", to);
              stanza.set("participant", device);
            } else {
              stanza.set("to", device);
              stanza.set("device_fanout", "false");
              if (own) stanza.set("recipient", to);
            }
            stanza.add_child(std::move(e));
            if ((*out)->type == signal::MessageType::kPreKey && !creds_->account.empty()) {
              stanza.add_child(Node("device-identity", {}, creds_->account));
            }
            send_node(stanza);
          });
    });
  };
  if (keys) {
    auto b = std::make_shared<signal::PreKeyBundle>(std::move(*keys));
    enqueue([this, b, device, resend](std::function<void()> done) mutable {
      run_store(
          [this, b, device] {
            auto* sp = signal_protocol();
            auto addr = signal::preferred_address(device, deps_.store);
            if (sp && addr.ok()) (void)sp->process_bundle(*addr, *b);
          },
          [done, resend]() mutable {
            done();
            resend();
          });
    });
  } else {
    ensure_sessions({device}, count >= 2, [resend](core::Status) mutable { resend(); });
  }
}

// ------------------------------------------------------------------ facade

std::string Client::send(const std::string& to, const waproto::Message& message, std::string id) {
  auto& I = *impl_;
  if (id.empty()) {
    id = new_message_id(I.deps_.clock.unix_seconds(), I.creds_ ? user_of(I.creds_->me_pn_jid) : "",
                        I.deps_.random);
  }
  waproto::Message m = message;
  if (!m.has_message_context_info() || !m.message_context_info().has_message_secret()) {
    auto secret = I.deps_.random.bytes(32);
    m.mutable_message_context_info()->set_message_secret(secret.data(), secret.size());
  }
  OutboundMessage om;
  om.id = id;
  om.to = to;
  om.message = m.SerializeAsString();
  om.created_unix = I.deps_.clock.unix_seconds();
  I.outbox_->push(std::move(om));
  auto alive = I.alive_;
  I.deps_.scheduler.post([&I, alive] {
    if (*alive) I.pump();
  });
  return id;
}

}  // namespace wa::client
