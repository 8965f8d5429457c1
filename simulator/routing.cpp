// Message routing (wa-protocol.md §8.2, §8.3, §9.3): the server ack to the sender, 1:1 fan-out
// per <participants><to jid> in PN or LID form (DSM copies to the sender's own devices carry
// `recipient`), group fan-out (per-device encs before the skmsg), and single-device retry
// resends. Deliveries go through deliver(), which queues for offline devices.
#include <map>

#include "simulator/simulator_impl.h"
#include "wa/binary/jid.h"

namespace sim {
namespace {

// Attributes of the sender's stanza that receivers need as they are.
constexpr const char* kPassThrough[] = {"type", "edit", "category"};

void copy_pass_through(const Node& from, Node& to) {
  for (const char* key : kPassThrough)
    if (const std::string* v = from.attr(key)) to.set(key, *v);
}

// Encs addressed per device, merged when one device is addressed twice (PN and LID form),
// kept in first-seen order.
struct Targets {
  std::vector<std::pair<Account*, uint16_t>> order;
  std::map<std::pair<std::string, uint16_t>, std::vector<Node>> encs;

  void add(Account* a, uint16_t device, const Node& to) {
    auto key = std::make_pair(a->phone, device);
    auto [it, inserted] = encs.try_emplace(key);
    if (inserted) order.emplace_back(a, device);
    for (const Node* e : to.children("enc")) it->second.push_back(*e);
  }
};

}  // namespace

void SimulatorImpl::handle_message(Connection& c, const Node& msg) {
  const std::string id = msg.attr_or("id", "");
  const std::string to = msg.attr_or("to", "");
  if (id.empty()) return;  // nothing to ack against
  Node ack = make_node("ack", {{"class", "message"}, {"id", id}});
  if (!to.empty()) ack.set("from", to);
  ack.set("t", now_str());
  Account* sender = find_account(c.phone);
  auto jid = wa::binary::parse_jid(to);
  if (!sender || !jid.ok()) {
    ack.set("error", "400");
    return send(c.id, ack);
  }
  if (jid->is_group()) {
    auto git = groups_.find(jid->user);
    if (git == groups_.end()) {
      ack.set("error", "404");
      return send(c.id, ack);
    }
    if (!git->second.member(sender->phone)) {
      ack.set("error", "403");
      return send(c.id, ack);
    }
    send(c.id, ack);
    route_group(c, *sender, msg);
  } else if (jid->is_user() && !jid->is_hosted()) {
    send(c.id, ack);
    route_direct(c, *sender, msg);
  } else {
    // status@broadcast, newsletters, …: accepted and dropped.
    send(c.id, ack);
    return;
  }
  ++stats_.messages_routed;
}

void SimulatorImpl::route_direct(Connection& c, Account& sender, const Node& msg) {
  const std::string to = msg.attr_or("to", "");
  auto peer = resolve(to);
  if (!peer) return;  // unknown user: acked, never delivered
  const bool lid_chat = peer->lid;
  const Node* device_identity = msg.child("device-identity");
  const std::string recipient = msg.attr_or("recipient", "");

  Targets targets;
  if (const Node* participants = msg.child("participants")) {
    for (const Node* t : participants->children("to")) {
      auto addr = resolve(t->attr_or("jid", ""));
      if (!addr) continue;
      if (addr->account == &sender && addr->device == c.device) continue;
      targets.add(addr->account, addr->device, *t);
    }
  } else if (!(peer->account == &sender && peer->device == c.device)) {
    // A single-device resend (retry): `to` is the device; bare <enc> children.
    targets.add(peer->account, peer->device, msg);
  }

  // The chat as the receiver sees it: for the sender's own devices it is the original `to`
  // (or, for a self retry, the `recipient` the sender named).
  const std::string chat_for_self =
      !recipient.empty() ? recipient : wa::binary::parse_jid(to)->to_non_ad().to_string();
  const bool note_to_self = peer->account == &sender && recipient.empty();

  for (auto& [account, device] : targets.order) {
    auto& encs = targets.encs[{account->phone, device}];
    if (encs.empty()) continue;
    Node out = make_node("message", {{"from", device_jid(sender, c.device, lid_chat)},
                                     {"id", msg.attr_or("id", "")}});
    copy_pass_through(msg, out);
    out.set("t", now_str());
    if (lid_chat) {
      out.set("sender_pn", pn_jid(sender.phone));
    } else {
      out.set("sender_lid", lid_jid(sender.lid));
    }
    if (account == &sender && !note_to_self) out.set("recipient", chat_for_self);
    if (!sender.push_name.empty()) out.set("notify", sender.push_name);
    for (auto& e : encs) out.add_child(std::move(e));
    if (device_identity) out.add_child(*device_identity);
    deliver(*account, device, std::move(out));
  }
}

void SimulatorImpl::route_group(Connection& c, Account& sender, const Node& msg) {
  auto jid = wa::binary::parse_jid(msg.attr_or("to", ""));
  const Group g = groups_.at(jid->user);  // a copy: deliveries may not mutate it, but be safe
  const bool lid_mode = g.addressing_mode == "lid";
  const Node* device_identity = msg.child("device-identity");

  Targets per_device;
  if (const Node* participants = msg.child("participants")) {
    for (const Node* t : participants->children("to")) {
      auto addr = resolve(t->attr_or("jid", ""));
      // Baileys lists its own sending device in LID groups (§9.3): drop it.
      if (!addr || (addr->account == &sender && addr->device == c.device)) continue;
      if (!g.member(addr->account->phone)) continue;
      per_device.add(addr->account, addr->device, *t);
    }
  }
  std::vector<Node> shared;
  for (const Node* e : msg.children("enc")) shared.push_back(*e);

  std::vector<std::pair<Account*, uint16_t>> targets;
  if (const std::string* participant = msg.attr("participant")) {
    // Single-device resend inside the group.
    auto addr = resolve(*participant);
    if (addr && g.member(addr->account->phone) &&
        !(addr->account == &sender && addr->device == c.device)) {
      targets.emplace_back(addr->account, addr->device);
    }
  } else {
    for (const auto& m : g.members) {
      Account* a = find_account(m.phone);
      if (!a) continue;
      for (uint16_t d : routable_devices(*a)) {
        if (a == &sender && d == c.device) continue;
        targets.emplace_back(a, d);
      }
    }
  }

  for (auto& [account, device] : targets) {
    Node out = make_node("message", {{"from", group_jid(g.id)},
                                     {"participant", device_jid(sender, c.device, lid_mode)},
                                     {"id", msg.attr_or("id", "")}});
    copy_pass_through(msg, out);
    out.set("t", now_str());
    out.set("addressing_mode", g.addressing_mode);
    if (lid_mode) {
      out.set("participant_pn", pn_jid(sender.phone));
    } else {
      out.set("participant_lid", lid_jid(sender.lid));
    }
    if (!sender.push_name.empty()) out.set("notify", sender.push_name);
    // Per-device encs (the SKDM) first: receivers decrypt children in order.
    auto it = per_device.encs.find({account->phone, device});
    if (it != per_device.encs.end())
      for (const auto& e : it->second) out.add_child(e);
    for (const auto& e : shared) out.add_child(e);
    if (!out.child("enc")) continue;
    if (device_identity) out.add_child(*device_identity);
    deliver(*account, device, std::move(out));
  }
}

}  // namespace sim
