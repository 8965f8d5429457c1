// usync (wa-protocol.md §7): device lists (companions always with key-index; device 0 only for
// virtual accounts, which have a real Signal phone), the account's LID, contact lookups by
// phone number, and echoes of the other protocols so parsers find what they expect.
#include "simulator/simulator_impl.h"

namespace sim {

void SimulatorImpl::handle_usync_iq(Connection& c, const Node& iq) {
  const Node* usync = iq.child("usync");
  const Node* query = usync ? usync->child("query") : nullptr;
  const Node* list = usync ? usync->child("list") : nullptr;
  if (!query || !list) return send(c.id, iq_error(iq, 400, "bad-request"));

  std::vector<std::string> protocols;
  Node result = make_node("result");
  for (const Node* p : query->children()) {
    protocols.push_back(p->tag);
    result.add_child(make_node(p->tag));
  }

  Node out_list = make_node("list");
  for (const Node* user : list->children("user")) {
    std::string jid = user->attr_or("jid", "");
    std::optional<Addr> addr;
    if (!jid.empty()) {
      addr = resolve(jid);
    } else if (const Node* contact = user->child("contact")) {
      std::string digits;
      for (char ch : contact->text())
        if (ch >= '0' && ch <= '9') digits += ch;
      if (digits.empty()) continue;
      jid = pn_jid(digits);
      addr = resolve(jid);
    } else {
      continue;
    }
    Node u = make_node("user", {{"jid", jid}});
    for (const std::string& p : protocols) {
      if (p == "devices") {
        Node device_list = make_node("device-list");
        if (addr) {
          for (uint16_t id : routable_devices(*addr->account)) {
            Node d = make_node("device", {{"id", std::to_string(id)}});
            if (id != 0) {
              d.set("key-index", std::to_string(addr->account->devices.at(id).key_index));
            }
            device_list.add_child(std::move(d));
          }
        }
        u.add_child(make_node("devices", {}, Node::Children{std::move(device_list)}));
      } else if (p == "lid") {
        if (addr) u.add_child(make_node("lid", {{"val", lid_jid(addr->account->lid)}}));
      } else if (p == "contact") {
        u.add_child(make_node("contact", {{"type", addr ? "in" : "out"}}));
      } else if (p == "status") {
        if (addr) u.add_child(make_node("status", {{"t", "0"}}));
      } else if (p == "disappearing_mode") {
        u.add_child(make_node("disappearing_mode", {{"duration", "0"}, {"t", "0"}}));
      }
    }
    out_list.add_child(std::move(u));
  }

  Node echo = make_node("usync", usync->attrs);
  echo.add_child(std::move(result));
  echo.add_child(std::move(out_list));
  Node r = iq_result(iq);
  r.add_child(std::move(echo));
  send(c.id, r);
}

}  // namespace sim
