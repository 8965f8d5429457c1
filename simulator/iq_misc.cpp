// IQ dispatch by xmlns (wa-protocol.md §4.8, §13.2 table) and the small namespaces: ping,
// passive/active (which releases the offline queue), media_conn, privacy, blocklist, abt and
// app-state sync (echoed, empty). Any other IQ gets an empty result: never silence.
#include "simulator/simulator_impl.h"

namespace sim {
namespace {

constexpr int kMediaConnTtl = 300;
constexpr int kMediaAuthTtl = 21600;

}  // namespace

void SimulatorImpl::handle_iq(Connection& c, const Node& iq) {
  const std::string type = iq.attr_or("type", "");
  if (type == "result" || type == "error") {
    // Answers to our iqs: only pair-success expects one we act on.
    if (c.reg && c.reg->pairing && iq.attr_or("id", "") == c.reg->pairing->iq_id) {
      on_pair_device_sign(c, iq);
    }
    return;
  }
  if (!iq.has_attr("id")) return;  // an iq we cannot answer
  const std::string xmlns = iq.attr_or("xmlns", "");
  if (c.phase == Connection::Phase::kRegistration) {
    if (xmlns == "w:p") return handle_ping_iq(c, iq);
    if (xmlns == "md") return handle_md_iq(c, iq);
    return send(c.id, iq_error(iq, 401, "not-authorized"));
  }
  auto it = iq_handlers_.find(xmlns);
  if (it != iq_handlers_.end()) return (this->*(it->second))(c, iq);
  send(c.id, iq_result(iq));
}

void SimulatorImpl::handle_ping_iq(Connection& c, const Node& iq) { send(c.id, iq_result(iq)); }

void SimulatorImpl::handle_passive_iq(Connection& c, const Node& iq) {
  const ConnId id = c.id;
  send(id, iq_result(iq));
  if (iq.child("active")) flush_queue(id);
}

void SimulatorImpl::handle_media_conn_iq(Connection& c, const Node& iq) {
  Node mc = make_node("media_conn", {{"auth", media_auth_},
                                     {"ttl", std::to_string(kMediaConnTtl)},
                                     {"auth_ttl", std::to_string(kMediaAuthTtl)},
                                     {"max_buckets", "12"}});
  mc.add_child(make_node("host", {{"hostname", config_.media_host}}));
  Node r = iq_result(iq);
  r.add_child(std::move(mc));
  send(c.id, r);
}

void SimulatorImpl::handle_privacy_iq(Connection& c, const Node& iq) {
  Node r = iq_result(iq);
  if (iq.attr_or("type", "") == "get") {
    Node privacy = make_node("privacy");
    for (const auto& [name, value] :
         std::initializer_list<std::pair<const char*, const char*>>{{"last", "all"},
                                                                    {"online", "all"},
                                                                    {"profile", "all"},
                                                                    {"status", "all"},
                                                                    {"readreceipts", "all"},
                                                                    {"groupadd", "all"},
                                                                    {"calladd", "all"},
                                                                    {"messages", "all"}}) {
      privacy.add_child(make_node("category", {{"name", name}, {"value", value}}));
    }
    r.add_child(std::move(privacy));
  }
  send(c.id, r);
}

void SimulatorImpl::handle_blocklist_iq(Connection& c, const Node& iq) {
  Node r = iq_result(iq);
  if (iq.attr_or("type", "") == "get") r.add_child(make_node("list"));
  send(c.id, r);
}

void SimulatorImpl::handle_abt_iq(Connection& c, const Node& iq) {
  Node r = iq_result(iq);
  r.add_child(make_node("props", {{"protocol", "1"}}));
  send(c.id, r);
}

void SimulatorImpl::handle_app_state_iq(Connection& c, const Node& iq) {
  Node sync = make_node("sync");
  if (const Node* req = iq.child("sync")) {
    for (const Node* col : req->children("collection")) {
      Node out = make_node("collection", {{"name", col->attr_or("name", "")},
                                          {"version", col->attr_or("version", "0")}});
      sync.add_child(std::move(out));
    }
  }
  Node r = iq_result(iq);
  r.add_child(std::move(sync));
  send(c.id, r);
}

}  // namespace sim
