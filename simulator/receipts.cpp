// Receipts, client acks, presence and chat state (wa-protocol.md §8.4–§8.6, §12): receipts are
// acked, dequeue what they confirm, and are forwarded to the original sender's devices (retry
// receipts only to the device they name); acks dequeue; presence and chat state are relayed to
// online devices only, never queued.
#include "simulator/simulator_impl.h"
#include "wa/binary/jid.h"

namespace sim {

void SimulatorImpl::handle_receipt(Connection& c, const Node& r) {
  const std::string id = r.attr_or("id", "");
  if (id.empty()) return;
  const std::string to = r.attr_or("to", "");
  const std::string type = r.attr_or("type", "");
  Account* receiver = find_account(c.phone);
  if (!receiver) return;

  Node ack = make_node("ack", {{"class", "receipt"}, {"id", id}});
  if (!to.empty()) ack.set("from", to);
  if (!type.empty()) ack.set("type", type);
  send(c.id, ack);

  std::vector<std::string> ids{id};
  if (const Node* list = r.child("list"))
    for (const Node* item : list->children("item"))
      if (const std::string* v = item->attr("id")) ids.push_back(*v);
  for (const auto& mid : ids) dequeue(*receiver, c.device, "message", mid);

  auto to_jid = wa::binary::parse_jid(to);
  if (!to_jid.ok()) return;
  const bool retry = type == "retry";

  Node fwd = make_node("receipt", {{"id", id}});
  // Non-standard: Baileys receivers send `inactive` delivery receipts unless they marked
  // themselves online, and Baileys senders ignore `inactive` for message status. Forwarding it as
  // a plain delivery receipt gives Baileys senders their delivery ticks (wa-protocol.md §8.4).
  if (!type.empty() && type != "inactive") fwd.set("type", type);
  fwd.set("t", r.attr_or("t", now_str()));
  if (const std::string* recipient = r.attr("recipient")) fwd.set("recipient", *recipient);
  if (const auto* children = r.child_list()) fwd.set_children(*children);

  std::optional<Addr> target;
  if (to_jid->is_group()) {
    auto git = groups_.find(to_jid->user);
    const std::string* participant = r.attr("participant");
    if (git == groups_.end() || !participant) return;
    target = resolve(*participant);
    if (!target) return;
    const bool lid_mode = git->second.addressing_mode == "lid";
    fwd.set("from", group_jid(git->second.id));
    fwd.set("participant",
            retry ? device_jid(*receiver, c.device, lid_mode) : device_jid(*receiver, 0, lid_mode));
  } else {
    target = resolve(to);
    if (!target) return;
    fwd.set("from", device_jid(*receiver, retry ? c.device : 0, target->lid));
  }
  Account& sender = *target->account;
  if (retry) {
    if (&sender == receiver && target->device == c.device) return;
    deliver(sender, target->device, std::move(fwd));
    return;
  }
  for (uint16_t d : routable_devices(sender)) {
    if (&sender == receiver && d == c.device) continue;
    deliver(sender, d, fwd);
  }
}

void SimulatorImpl::handle_ack(Connection& c, const Node& ack) {
  Account* a = find_account(c.phone);
  const std::string* id = ack.attr("id");
  if (!a || !id) return;
  dequeue(*a, c.device, ack.attr_or("class", "message"), *id);
}

void SimulatorImpl::handle_presence(Connection& c, const Node& p) {
  Account* a = find_account(c.phone);
  if (!a) return;
  if (const std::string* name = p.attr("name"); name && !name->empty()) a->push_name = *name;
  const std::string type = p.attr_or("type", "");
  if (type == "available" || type == "unavailable") {
    c.available = type == "available";
    relay_presence(*a);
  } else if (type == "subscribe") {
    const std::string to = p.attr_or("to", "");
    auto target = resolve(to);
    if (!target) return;
    presence_subscribers_[target->account->phone].insert(a->phone);
    bool online = target->account->virtual_kind != VirtualKind::kNone;
    for (const auto& [key, cid] : device_conns_)
      if (key.first == target->account->phone) {
        const Connection* tc = find_conn(cid);
        online = online || (tc && tc->available);
      }
    Node out =
        make_node("presence", {{"from", wa::binary::parse_jid(to)->to_non_ad().to_string()}});
    if (!online) {
      out.set("type", "unavailable");
      out.set("last", "deny");
    }
    send(c.id, out);
  }
}

void SimulatorImpl::relay_presence(Account& a) {
  bool online = false;
  for (const auto& [key, cid] : device_conns_)
    if (key.first == a.phone) {
      const Connection* tc = find_conn(cid);
      online = online || (tc && tc->available);
    }
  Node out = make_node("presence", {{"from", pn_jid(a.phone)}});
  if (!online) {
    out.set("type", "unavailable");
    out.set("last", now_str());
  }
  auto it = presence_subscribers_.find(a.phone);
  if (it == presence_subscribers_.end()) return;
  std::vector<ConnId> targets;
  for (const auto& [key, cid] : device_conns_)
    if (it->second.count(key.first)) targets.push_back(cid);
  for (ConnId cid : targets) {
    const Connection* tc = find_conn(cid);
    if (tc && tc->active) send(cid, out);
  }
}

void SimulatorImpl::handle_chatstate(Connection& c, const Node& cs) {
  Account* sender = find_account(c.phone);
  auto to = wa::binary::parse_jid(cs.attr_or("to", ""));
  if (!sender || !to.ok()) return;
  std::vector<std::pair<Account*, Node>> out;
  if (to->is_group()) {
    auto git = groups_.find(to->user);
    if (git == groups_.end() || !git->second.member(sender->phone)) return;
    const bool lid_mode = git->second.addressing_mode == "lid";
    Node n = make_node("chatstate", {{"from", group_jid(git->second.id)},
                                     {"participant", device_jid(*sender, 0, lid_mode)}});
    if (const auto* children = cs.child_list()) n.set_children(*children);
    for (const auto& m : git->second.members)
      if (m.phone != sender->phone)
        if (Account* a = find_account(m.phone)) out.emplace_back(a, n);
  } else {
    auto target = resolve(cs.attr_or("to", ""));
    if (!target) return;
    Node n = make_node("chatstate", {{"from", device_jid(*sender, 0, target->lid)}});
    if (const auto* children = cs.child_list()) n.set_children(*children);
    out.emplace_back(target->account, n);
  }
  for (auto& [account, node] : out) {
    std::vector<ConnId> targets;
    for (const auto& [key, cid] : device_conns_)
      if (key.first == account->phone) targets.push_back(cid);
    for (ConnId cid : targets) {
      const Connection* tc = find_conn(cid);
      if (tc && tc->active && cid != c.id) send(cid, node);
    }
  }
}

void SimulatorImpl::handle_ib(Connection&, const Node&) {
  // unified_session telemetry and offline_batch requests need no answer: the whole queue is
  // flushed at once.
}

}  // namespace sim
