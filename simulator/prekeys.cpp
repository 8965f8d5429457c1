// The `encrypt` namespace (wa-protocol.md §6): pre-key upload, count, digest, signed pre-key
// rotation, and key-bundle fetches that consume one one-time pre-key per fetch.
#include "simulator/simulator_impl.h"

namespace sim {
namespace {

constexpr size_t kLowPrekeys = 5;

core::Bytes be(uint32_t v, int width) { return core::uint_be_bytes(v, width); }

const core::Bytes* child_bytes(const Node& n, std::string_view tag) {
  const Node* c = n.child(tag);
  return c ? c->bytes() : nullptr;
}

// <skey><id>3</id><value>32</value><signature>64</signature></skey>
std::optional<SignedPreKey> parse_skey(const Node* n) {
  if (!n) return std::nullopt;
  auto id = be_uint(child_bytes(*n, "id"), 1, 4);
  const core::Bytes* value = child_bytes(*n, "value");
  const core::Bytes* sig = child_bytes(*n, "signature");
  if (!id || !value || value->size() != 32 || !sig || sig->size() != 64) return std::nullopt;
  return SignedPreKey{*id, *value, *sig};
}

}  // namespace

void SimulatorImpl::handle_encrypt_iq(Connection& c, const Node& iq) {
  const ConnId id = c.id;
  Account* a = find_account(c.phone);
  if (!a || !a->devices.count(c.device)) return send(id, iq_error(iq, 401, "not-authorized"));
  Device& d = a->devices[c.device];
  const std::string type = iq.attr_or("type", "");

  if (type == "get") {
    if (iq.child("count")) {
      Node r = iq_result(iq);
      r.add_child(make_node("count", {{"value", std::to_string(d.prekeys.size())}}));
      return send(id, r);
    }
    if (iq.child("digest")) {
      Node r = iq_result(iq);
      r.add_child(make_node("digest"));
      return send(id, r);
    }
    if (const Node* key = iq.child("key")) {
      Node list = make_node("list");
      for (const Node* user : key->children("user")) {
        const std::string jid = user->attr_or("jid", "");
        auto addr = resolve(jid);
        if (!addr) continue;  // Baileys fails the whole batch on a per-user error: omit instead
        if (auto bundle = key_bundle(*addr, jid)) list.add_child(std::move(*bundle));
      }
      Node r = iq_result(iq);
      r.add_child(std::move(list));
      return send(id, r);
    }
    return send(id, iq_result(iq));
  }
  if (type != "set") return send(id, iq_error(iq, 400, "bad-request"));

  if (const Node* rotate = iq.child("rotate")) {
    auto skey = parse_skey(rotate->child("skey"));
    if (!skey) return send(id, iq_error(iq, 400, "bad-request"));
    d.skey = *skey;
    persist(store_->save_device(a->phone, d));
    return send(id, iq_result(iq));
  }

  // Upload: every part is optional; what is present replaces what we had.
  if (auto regid = be_uint(child_bytes(iq, "registration"), 1, 4)) d.registration_id = *regid;
  if (const core::Bytes* identity = child_bytes(iq, "identity");
      identity && identity->size() == 32) {
    d.identity = *identity;
  }
  if (const Node* s = iq.child("skey")) {
    auto skey = parse_skey(s);
    if (!skey) return send(id, iq_error(iq, 400, "bad-request"));
    d.skey = *skey;
  }
  std::vector<std::pair<uint32_t, core::Bytes>> added;
  if (const Node* list = iq.child("list")) {
    for (const Node* k : list->children("key")) {
      auto kid = be_uint(child_bytes(*k, "id"), 1, 4);
      const core::Bytes* value = child_bytes(*k, "value");
      if (!kid || !value || value->size() != 32) continue;
      d.prekeys[*kid] = *value;
      added.emplace_back(*kid, *value);
    }
  }
  d.low_prekeys_notified = false;
  persist(store_->begin());
  persist(store_->save_device(a->phone, d));
  persist(store_->put_prekeys(a->phone, d.id, added));
  persist(store_->commit());
  send(id, iq_result(iq));
}

std::optional<Node> SimulatorImpl::key_bundle(Addr addr, const std::string& echo_jid) {
  Account& a = *addr.account;
  if (addr.device == 0 && a.virtual_kind == VirtualKind::kNone) return std::nullopt;
  auto it = a.devices.find(addr.device);
  if (it == a.devices.end()) return std::nullopt;
  Device& d = it->second;
  if (d.identity.size() != 32 || d.skey.pub.size() != 32) return std::nullopt;

  Node user = make_node("user", {{"jid", echo_jid}});
  user.add_child(make_node("registration", {}, be(d.registration_id, 4)));
  user.add_child(make_node("type", {}, core::Bytes{5}));
  user.add_child(make_node("identity", {}, d.identity));
  Node skey = make_node("skey");
  skey.add_child(make_node("id", {}, be(d.skey.id, 3)));
  skey.add_child(make_node("value", {}, d.skey.pub));
  skey.add_child(make_node("signature", {}, d.skey.sig));
  user.add_child(std::move(skey));
  if (!d.prekeys.empty()) {
    auto first = d.prekeys.begin();
    Node key = make_node("key");
    key.add_child(make_node("id", {}, be(first->first, 3)));
    key.add_child(make_node("value", {}, first->second));
    user.add_child(std::move(key));
    persist(store_->delete_prekey(a.phone, d.id, first->first));
    d.prekeys.erase(first);
    if (addr.device == 0) replenish_virtual_prekeys(a);
    if (d.prekeys.size() < kLowPrekeys && !d.low_prekeys_notified && addr.device != 0) {
      d.low_prekeys_notified = true;
      Connection* owner = device_conn(a.phone, addr.device);
      if (owner && owner->active) {
        Node n = make_node("notification", {{"from", std::string(kServerJid)},
                                            {"type", "encrypt"},
                                            {"id", new_id()},
                                            {"t", now_str()}});
        n.add_child(make_node("count", {{"value", std::to_string(d.prekeys.size())}}));
        send(owner->id, n);
      }
    }
  }
  return user;
}

}  // namespace sim
