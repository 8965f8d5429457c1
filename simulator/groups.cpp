// Groups, xmlns w:g2 (wa-protocol.md §9.2): create, query, participating, add/remove/promote/
// demote, leave and subject, each change announced to members as a w:gp2 notification. New
// groups use LID addressing: participants are listed as `jid=LID phone_number=PN`.
#include <algorithm>
#include <set>

#include "simulator/simulator_impl.h"
#include "wa/binary/jid.h"

namespace sim {

std::string SimulatorImpl::member_jid(const Group& g, const std::string& phone,
                                      uint16_t device) const {
  auto it = accounts_.find(phone);
  if (it == accounts_.end()) return pn_jid(phone, device);
  return device_jid(it->second, device, g.addressing_mode == "lid");
}

Node SimulatorImpl::member_node(const Group& g, const std::string& phone, bool with_role) const {
  Node p = make_node("participant", {{"jid", member_jid(g, phone)}});
  auto it = accounts_.find(phone);
  if (it != accounts_.end()) {
    if (g.addressing_mode == "lid") {
      p.set("phone_number", pn_jid(phone));
    } else {
      p.set("lid", lid_jid(it->second.lid));
    }
  }
  if (with_role) {
    if (const GroupMember* m = g.member(phone); m && !m->role.empty()) p.set("type", m->role);
  }
  return p;
}

Node SimulatorImpl::group_node(const Group& g) const {
  const bool lid_mode = g.addressing_mode == "lid";
  Node n = make_node("group", {{"id", g.id},
                               {"subject", g.subject},
                               {"s_t", std::to_string(g.subject_time)},
                               {"s_o", member_jid(g, g.subject_owner)},
                               {"creation", std::to_string(g.creation)},
                               {"creator", member_jid(g, g.creator)}});
  if (lid_mode) {
    n.set("s_o_pn", pn_jid(g.subject_owner));
    n.set("creator_pn", pn_jid(g.creator));
  }
  n.set("addressing_mode", g.addressing_mode);
  n.set("size", std::to_string(g.members.size()));
  for (const auto& m : g.members) n.add_child(member_node(g, m.phone, true));
  return n;
}

void SimulatorImpl::notify_group(const Group& g, const Connection& actor, Node child,
                                 const std::vector<std::string>& extra_recipients) {
  const bool lid_mode = g.addressing_mode == "lid";
  Node n = make_node("notification", {{"from", group_jid(g.id)},
                                      {"type", "w:gp2"},
                                      {"id", new_id()},
                                      {"t", now_str()},
                                      {"participant", member_jid(g, actor.phone)}});
  if (lid_mode) n.set("participant_pn", pn_jid(actor.phone));
  n.add_child(std::move(child));
  std::set<std::string> phones;
  for (const auto& m : g.members) phones.insert(m.phone);
  phones.insert(extra_recipients.begin(), extra_recipients.end());
  const std::string actor_phone = actor.phone;
  const uint16_t actor_device = actor.device;
  for (const auto& phone : phones) {
    Account* a = find_account(phone);
    if (!a) continue;
    for (uint16_t d : routable_devices(*a)) {
      if (phone == actor_phone && d == actor_device) continue;
      deliver(*a, d, n);
    }
  }
}

void SimulatorImpl::handle_group_iq(Connection& c, const Node& iq) {
  const ConnId cid = c.id;
  Account* actor = find_account(c.phone);
  const auto* children = iq.child_list();
  if (!actor || !children || children->empty()) return send(cid, iq_result(iq));
  const Node& op = children->front();
  const std::string type = iq.attr_or("type", "");

  if (op.tag == "create") {
    Group g;
    do {
      g.id = "120363";
      for (int i = 0; i < 12; ++i) g.id += static_cast<char>('0' + random_.uniform(10));
    } while (groups_.count(g.id));
    g.subject = op.attr_or("subject", "");
    g.creator = g.subject_owner = actor->phone;
    g.creation = g.subject_time = clock_.unix_seconds();
    g.members.push_back({actor->phone, "superadmin"});
    for (const Node* p : op.children("participant")) {
      auto addr = resolve(p->attr_or("jid", ""));
      if (!addr || g.member(addr->account->phone)) continue;
      g.members.push_back({addr->account->phone, ""});
    }
    persist(store_->save_group(g));
    const Group& stored = groups_[g.id] = g;
    Node r = iq_result(iq);
    r.add_child(group_node(stored));
    send(cid, r);
    notify_group(stored, c, make_node("create", {}, Node::Children{group_node(stored)}));
    return;
  }
  if (op.tag == "participating") {
    Node groups = make_node("groups");
    for (const auto& [id, g] : groups_)
      if (g.member(actor->phone)) groups.add_child(group_node(g));
    Node r = iq_result(iq);
    r.add_child(std::move(groups));
    return send(cid, r);
  }
  if (op.tag == "leave") {
    for (const Node* gn : op.children("group")) {
      std::string gid = gn->attr_or("id", "");
      if (auto j = wa::binary::parse_jid(gid); j.ok()) gid = j->user;
      auto git = groups_.find(gid);
      if (git == groups_.end() || !git->second.member(actor->phone)) continue;
      Group& g = git->second;
      Node removed = make_node("remove", {}, Node::Children{member_node(g, actor->phone, false)});
      std::erase_if(g.members, [&](const GroupMember& m) { return m.phone == actor->phone; });
      persist(store_->save_group(g));
      notify_group(g, c, std::move(removed), {actor->phone});
    }
    return send(cid, iq_result(iq));
  }

  // Everything else addresses one group.
  auto to = wa::binary::parse_jid(iq.attr_or("to", ""));
  if (!to.ok() || !to->is_group() || to->user.empty()) return send(cid, iq_result(iq));
  auto git = groups_.find(to->user);
  if (git == groups_.end()) return send(cid, iq_error(iq, 404, "item-not-found"));
  Group& g = git->second;
  const GroupMember* me = g.member(actor->phone);
  if (!me) return send(cid, iq_error(iq, 403, "forbidden"));

  if (op.tag == "query") {
    Node r = iq_result(iq);
    r.add_child(group_node(g));
    return send(cid, r);
  }
  if (op.tag == "add" || op.tag == "remove" || op.tag == "promote" || op.tag == "demote") {
    if (me->role.empty()) return send(cid, iq_error(iq, 403, "not-authorized"));
    Node result_op = make_node(op.tag);
    Node change = make_node(op.tag);
    std::vector<std::string> removed;
    for (const Node* p : op.children("participant")) {
      const std::string jid = p->attr_or("jid", "");
      Node rp = make_node("participant", {{"jid", jid}});
      auto addr = resolve(jid);
      if (!addr) {
        rp.set("error", "404");
        result_op.add_child(std::move(rp));
        continue;
      }
      const std::string phone = addr->account->phone;
      const bool is_member = g.member(phone) != nullptr;
      if (op.tag == "add") {
        if (is_member) {
          rp.set("error", "409");
        } else {
          g.members.push_back({phone, ""});
          change.add_child(member_node(g, phone, false));
        }
      } else if (!is_member) {
        rp.set("error", "404");
      } else if (op.tag == "remove") {
        change.add_child(member_node(g, phone, false));
        std::erase_if(g.members, [&](const GroupMember& m) { return m.phone == phone; });
        removed.push_back(phone);
      } else {
        for (auto& m : g.members)
          if (m.phone == phone && m.role != "superadmin")
            m.role = op.tag == "promote" ? "admin" : "";
        change.add_child(member_node(g, phone, false));
      }
      result_op.add_child(std::move(rp));
    }
    persist(store_->save_group(g));
    Node r = iq_result(iq);
    r.add_child(std::move(result_op));
    send(cid, r);
    if (change.child_list() && !change.child_list()->empty()) {
      Connection* cur = find_conn(cid);
      if (cur) notify_group(g, *cur, std::move(change), removed);
    }
    return;
  }
  if (op.tag == "subject" && type == "set") {
    g.subject = std::string(op.text());
    g.subject_time = clock_.unix_seconds();
    g.subject_owner = actor->phone;
    persist(store_->save_group(g));
    send(cid, iq_result(iq));
    Node subject = make_node("subject", {{"subject", g.subject},
                                         {"s_t", std::to_string(g.subject_time)},
                                         {"s_o", member_jid(g, actor->phone)}});
    Connection* cur = find_conn(cid);
    if (cur) notify_group(g, *cur, std::move(subject));
    return;
  }
  // description, settings, invite, ephemeral…: accepted without effect.
  send(cid, iq_result(iq));
}

}  // namespace sim
