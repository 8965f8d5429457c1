// Receiving: decrypt every <enc> of a message stanza in one store Transaction (pairwise, SKDM,
// sender keys), emit the events, commit, then send the receipt; retry receipts on failure;
// incoming receipts.
#include <algorithm>

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

bool has_content(const waproto::Message& m) {
  waproto::Message copy = m;
  copy.clear_sender_key_distribution_message();
  copy.clear_message_context_info();
  copy.clear_fast_ratchet_key_sender_key_distribution_message();
  return copy.ByteSizeLong() > 0;
}
}  // namespace

void Client::Impl::send_delivery_receipt(const Node& msg, bool from_me) {
  Node r("receipt", {{"id", msg.attr_or("id", "")}, {"to", msg.attr_or("from", "")}});
  if (const auto* p = msg.attr("participant")) r.set("participant", *p);
  if (const auto* rc = msg.attr("recipient")) r.set("recipient", *rc);
  if (from_me) r.set("type", "sender");
  send_node(r);
}

void Client::Impl::handle_message(const Node& n) {
  if (!creds_) return;
  std::string id = n.attr_or("id", "");
  std::string from = n.attr_or("from", "");
  std::string server = server_of(from);
  bool is_group = server == "g.us" || server == "broadcast";
  std::string sender = is_group ? n.attr_or("participant", "") : from;
  if (id.empty() || sender.empty()) return send_ack(n, "message");

  // Learn PN↔LID pairs the server tells us about before choosing Signal addresses.
  if (const auto* sl = n.attr("sender_lid"); sl && server_of(sender) != "lid") {
    learn_lid(user_of(sender), user_of(*sl));
  }
  if (const auto* sp = n.attr("sender_pn"); sp && server_of(sender) == "lid") {
    learn_lid(user_of(*sp), user_of(sender));
  }
  if (const auto* pp = n.attr("participant_pn"); pp && server_of(sender) == "lid") {
    learn_lid(user_of(*pp), user_of(sender));
  }
  if (const auto* pl = n.attr("participant_lid"); pl && server_of(sender) != "lid") {
    learn_lid(user_of(sender), user_of(*pl));
  }

  bool from_me = same_user(sender, creds_->me_pn_jid) ||
                 (!creds_->me_lid_jid.empty() && same_user(sender, creds_->me_lid_jid));
  MessageInfo info;
  info.id = id;
  info.sender = sender;
  info.is_group = is_group;
  info.from_me = from_me;
  info.push_name = n.attr_or("notify", "");
  info.timestamp = static_cast<int64_t>(attr_uint(n, "t"));
  info.offline = n.has_attr("offline");
  info.type = n.attr_or("type", "");
  info.edit = n.attr_or("edit", "");
  if (is_group) {
    info.chat = from;
  } else if (from_me) {
    info.chat = n.attr_or("recipient", to_user_jid(from));
  } else {
    info.chat = to_user_jid(from);
  }
  std::string su = user_of(sender);
  if (server_of(sender) == "lid") {
    info.sender_lid = su + "@lid";
    if (auto pn = pn_for(su)) info.sender_pn = *pn + "@s.whatsapp.net";
  } else {
    info.sender_pn = su + "@s.whatsapp.net";
    if (auto lid = lid_for(su)) info.sender_lid = *lid + "@lid";
  }

  if (!seen_) seen_ = std::make_unique<RecentSet>(1024);
  std::string key = sender + "/" + id;
  if (seen_->contains(key)) {
    // Already delivered in this run: the server did not see our receipt; repeat it only.
    return send_delivery_receipt(n, from_me);
  }
  auto encs = n.children("enc");
  if (encs.empty()) return send_ack(n, "message");

  struct Work {
    std::vector<std::pair<std::string, core::Bytes>> encs;  // type, ciphertext
    std::unique_ptr<store::Transaction> txn;
    std::vector<waproto::Message> results;
    core::Status error;
    bool duplicate_only = true;
    bool identity_changed = false;
  };
  auto w = std::make_shared<Work>();
  for (const Node* e : encs) {
    w->encs.emplace_back(e->attr_or("type", ""), e->bytes() ? *e->bytes() : core::Bytes{});
  }
  auto node = std::make_shared<Node>(n);
  std::string chat = info.chat;
  enqueue([this, w, node, info, key, is_group, from_me, sender,
           chat](std::function<void()> done) mutable {
    run_store(
        [this, w, is_group, sender, chat] {
          auto* sp = signal_protocol();
          if (!sp) {
            w->error = core::Status::internal("no signal state");
            w->duplicate_only = false;
            return;
          }
          w->txn = deps_.store.begin();
          auto addr = signal::preferred_address(sender, deps_.store);
          if (!addr.ok()) {
            w->error = addr.status();
            w->duplicate_only = false;
            return;
          }
          for (auto& [type_name, ct] : w->encs) {
            auto type = signal::parse_message_type(type_name);
            if (!type.ok()) continue;  // unknown enc types (v=3 etc.) are skipped
            core::Result<core::Bytes> plain = core::Status::internal("unset");
            if (*type == signal::MessageType::kSenderKey) {
              if (!is_group) continue;
              plain = sp->group_decrypt(*w->txn, chat, *addr, ct);
            } else {
              auto d = sp->decrypt(*w->txn, *addr, *type, ct);
              if (d.ok()) {
                w->identity_changed |= d->identity_changed;
                plain = std::move(d->plaintext);
              } else {
                plain = d.status();
              }
            }
            if (!plain.ok()) {
              if (!signal::is_duplicate(plain.status())) w->duplicate_only = false;
              if (w->error.ok()) w->error = plain.status();
              continue;
            }
            auto unpadded = signal::unpad(*plain);
            waproto::Message m;
            if (!unpadded.ok() ||
                !m.ParseFromArray(unpadded->data(), static_cast<int>(unpadded->size()))) {
              w->duplicate_only = false;
              if (w->error.ok()) w->error = core::Status::invalid_argument("bad plaintext");
              continue;
            }
            if (m.has_sender_key_distribution_message() && is_group) {
              const auto& skdm = m.sender_key_distribution_message();
              auto st = sp->process_sender_key_distribution(
                  *w->txn, chat, *addr,
                  core::as_view(skdm.axolotl_sender_key_distribution_message()));
              if (!st.ok()) log()->warn("SKDM from {}: {}", sender, st.to_string());
            }
            if (has_content(m)) w->results.push_back(std::move(m));
          }
        },
        [this, w, node, info, key, from_me, done]() mutable {
          bool ok = !w->results.empty() || w->error.ok();
          if (w->identity_changed) {
            deps_.events.on_identity_change(IdentityChangeEvent{info.sender});
          }
          if (!w->results.empty() && seen_->insert(key)) {
            for (auto& m : w->results) {
              auto u = unwrap_message(std::move(m));
              MessageEvent ev;
              ev.info = info;
              if (!u.dsm_destination.empty()) {
                ev.info.chat = u.dsm_destination;
                ev.info.from_me = true;
              }
              ev.message = std::move(u.message);
              ev.view_once = u.view_once;
              ev.ephemeral = u.ephemeral;
              deps_.events.on_message(ev);
            }
          }
          auto txn = std::shared_ptr<store::Transaction>(std::move(w->txn));
          auto commit_status = std::make_shared<core::Status>();
          run_store(
              [txn, commit_status] {
                if (txn && !txn->empty()) *commit_status = txn->commit();
              },
              [this, w, node, info, key, from_me, ok, commit_status, done] {
                if (!commit_status->ok()) {
                  // Not durable: no receipt, so the server delivers it again later.
                  log()->error("commit failed: {}", commit_status->to_string());
                  return done();
                }
                if (ok || w->duplicate_only) {
                  if (retries_) retries_->erase(key);
                  send_delivery_receipt(*node, from_me);
                  return done();
                }
                // Decryption failed: ask the sender to try again.
                if (!retries_) retries_ = std::make_unique<RetryCounter>(512);
                uint32_t count = retries_->next(key);
                if (count > config_.max_retries || !signal::needs_retry(w->error)) {
                  UndecryptableEvent ev;
                  ev.info = info;
                  ev.error = w->error.to_string();
                  ev.retry_count = count - 1;
                  deps_.events.on_undecryptable(ev);
                  send_delivery_receipt(*node, from_me);
                  return done();
                }
                log()->info("decrypt {} failed ({}), retry {}", info.id, w->error.to_string(),
                            count);
                RetryReceiptParams p;
                p.id = info.id;
                p.to = node->attr_or("from", "");
                p.participant = node->attr_or("participant", "");
                p.recipient = node->attr_or("recipient", "");
                p.original_t = node->attr_or("t", "");
                p.count = count;
                p.registration_id = creds_->registration_id;
                if (count < 2) {
                  send_node(build_retry_receipt(p));
                  return done();
                }
                // From the second retry on, hand the sender a fresh bundle.
                auto keys = signal::generate_pre_keys(creds_->next_pre_key_id, 1, deps_.random);
                creds_->next_pre_key_id = signal::next_pre_key_id(keys.back().id);
                auto creds = *creds_;
                run_store(
                    [this, keys, creds] {
                      (void)signal::save_pre_keys(deps_.store, keys);
                      (void)deps_.store.save_credentials(creds);
                    },
                    [this, p, keys, done]() mutable {
                      p.creds = &*creds_;
                      p.pre_key = keys.front();
                      send_node(build_retry_receipt(p));
                      done();
                    });
              });
        });
  });
}

void Client::Impl::handle_receipt(const Node& n) {
  send_ack(n, "receipt");
  std::string type = n.attr_or("type", "");
  if (type == "retry") return handle_retry_receipt(n);
  ReceiptEvent ev;
  ev.chat = n.attr_or("from", "");
  ev.participant = n.attr_or("participant", "");
  ev.recipient = n.attr_or("recipient", "");
  ev.type = type;
  ev.timestamp = static_cast<int64_t>(attr_uint(n, "t"));
  ev.ids.push_back(n.attr_or("id", ""));
  if (const Node* list = n.child("list")) {
    for (const Node* item : list->children("item")) ev.ids.push_back(item->attr_or("id", ""));
  }
  // A peer's delivery/read receipt for the message at the head of the queue, which an earlier
  // connection put on the wire but never saw acked, proves the server has it: it counts as
  // acked and is not sent again.
  if (type.empty() || type == "read" || type == "played") {
    if (auto f = outbox_->front(); f && f->attempts > 0 && (!sending_ || *sending_ != f->id) &&
                                   std::find(ev.ids.begin(), ev.ids.end(), f->id) != ev.ids.end()) {
      finish_send(f->id, true, 0, "", ev.timestamp);
    }
  }
  deps_.events.on_receipt(ev);
}

}  // namespace wa::client
