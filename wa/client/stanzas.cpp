#include "wa/client/stanzas.h"

#include "wa/binary/jid.h"

namespace wa::client {
namespace {

Node bytes_node(std::string tag, core::Bytes b) { return Node(std::move(tag), {}, std::move(b)); }
Node bytes_node(std::string tag, core::ByteView b) {
  return Node(std::move(tag), {}, core::to_bytes(b));
}

core::Result<uint32_t> child_uint(const Node& parent, std::string_view tag, int width) {
  const Node* c = parent.child(tag);
  if (c == nullptr || c->bytes() == nullptr || c->bytes()->size() != static_cast<size_t>(width)) {
    return core::Status::invalid_argument("missing or malformed <" + std::string(tag) + ">");
  }
  return static_cast<uint32_t>(core::get_uint_be(*c->bytes(), width));
}

core::Result<core::Bytes> child_bytes(const Node& parent, std::string_view tag) {
  const Node* c = parent.child(tag);
  if (c == nullptr || c->bytes() == nullptr) {
    return core::Status::invalid_argument("missing <" + std::string(tag) + ">");
  }
  return *c->bytes();
}

}  // namespace

uint64_t attr_uint(const Node& n, std::string_view key) {
  const std::string* s = n.attr(key);
  if (s == nullptr || s->empty() || s->size() > 19) return 0;
  uint64_t v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Node make_iq(std::string id, std::string to, std::string type, std::string xmlns,
             Node::Children children) {
  Node iq("iq", {{"id", std::move(id)}, {"to", std::move(to)}, {"type", std::move(type)}});
  if (!xmlns.empty()) iq.set("xmlns", std::move(xmlns));
  if (!children.empty()) iq.content = std::move(children);
  return iq;
}

Node build_prekey_upload(const std::string& id, const store::DeviceCredentials& creds,
                         const std::vector<signal::PreKey>& keys) {
  Node list("list");
  Node::Children key_nodes;
  key_nodes.reserve(keys.size());
  for (const auto& k : keys) {
    key_nodes.push_back(Node("key", {},
                             Node::Children{bytes_node("id", core::uint_be_bytes(k.id, 3)),
                                            bytes_node("value", k.key_pair.public_view())}));
  }
  list.content = std::move(key_nodes);
  const auto& spk = creds.signed_pre_key;
  Node skey("skey", {},
            Node::Children{bytes_node("id", core::uint_be_bytes(spk.id, 3)),
                           bytes_node("value", core::ByteView(spk.key_pair.public_key)),
                           bytes_node("signature", spk.signature)});
  return make_iq(id, kServerJid, "set", "encrypt",
                 {bytes_node("registration", core::uint_be_bytes(creds.registration_id, 4)),
                  bytes_node("type", core::Bytes{5}),
                  bytes_node("identity", core::ByteView(creds.identity_key.public_key)),
                  std::move(list), std::move(skey)});
}

static core::Result<signal::PreKeyBundle> parse_bundle_fields(const Node& user,
                                                              uint32_t device_id) {
  signal::PreKeyBundle b;
  b.device_id = device_id;
  CORE_ASSIGN_OR_RETURN(b.registration_id, child_uint(user, "registration", 4));
  CORE_ASSIGN_OR_RETURN(b.identity_key, child_bytes(user, "identity"));
  const Node* skey = user.child("skey");
  if (skey == nullptr) return core::Status::invalid_argument("bundle without <skey>");
  CORE_ASSIGN_OR_RETURN(b.signed_pre_key.id, child_uint(*skey, "id", 3));
  CORE_ASSIGN_OR_RETURN(b.signed_pre_key.public_key, child_bytes(*skey, "value"));
  CORE_ASSIGN_OR_RETURN(b.signed_pre_key.signature, child_bytes(*skey, "signature"));
  if (const Node* key = user.child("key")) {
    signal::BundlePreKey pk;
    CORE_ASSIGN_OR_RETURN(pk.id, child_uint(*key, "id", 3));
    CORE_ASSIGN_OR_RETURN(pk.public_key, child_bytes(*key, "value"));
    b.pre_key = std::move(pk);
  }
  return b;
}

core::Result<std::vector<FetchedBundle>> parse_key_bundles(const Node& result) {
  const Node* list = result.child("list");
  if (list == nullptr) return core::Status::invalid_argument("key fetch result without <list>");
  std::vector<FetchedBundle> out;
  for (const Node* user : list->children("user")) {
    if (user->child("error") != nullptr) continue;
    FetchedBundle fb;
    fb.jid = user->attr_or("jid", "");
    auto jid = binary::parse_jid(fb.jid);
    if (!jid.ok()) continue;
    const Node* holder = user->child("keys") ? user->child("keys") : user;
    auto b = parse_bundle_fields(*holder, jid->device);
    if (!b.ok()) {
      // whatsmeow also accepts the fields at the user level when <keys> is empty.
      b = parse_bundle_fields(*user, jid->device);
      if (!b.ok()) continue;
    }
    fb.bundle = std::move(*b);
    out.push_back(std::move(fb));
  }
  return out;
}

Node build_usync_query(const std::string& id, const std::string& sid,
                       const std::vector<std::string>& user_jids, const std::string& context,
                       bool devices, bool lid) {
  Node query("query");
  if (devices) query.add_child(Node("devices", {{"version", "2"}}));
  if (lid) query.add_child(Node("lid"));
  Node list("list");
  for (const auto& j : user_jids) list.add_child(Node("user", {{"jid", j}}));
  Node usync(
      "usync",
      {{"sid", sid}, {"mode", "query"}, {"last", "true"}, {"index", "0"}, {"context", context}},
      Node::Children{std::move(query), std::move(list)});
  return make_iq(id, kServerJid, "get", "usync", {std::move(usync)});
}

core::Result<std::vector<UsyncUser>> parse_usync(const Node& result) {
  const Node* usync = result.child("usync");
  if (usync == nullptr) return core::Status::invalid_argument("usync result without <usync>");
  const Node* list = usync->child("list");
  std::vector<UsyncUser> out;
  if (list == nullptr) return out;
  for (const Node* user : list->children("user")) {
    UsyncUser u;
    u.jid = user->attr_or("jid", "");
    if (u.jid.empty()) continue;
    if (const Node* lid = user->child("lid")) u.lid = lid->attr_or("val", "");
    if (const Node* devices = user->child("devices")) {
      if (const Node* dl = devices->child("device-list")) {
        u.has_devices = true;
        for (const Node* d : dl->children("device")) {
          UsyncDevice dev;
          dev.id = static_cast<uint32_t>(attr_uint(*d, "id"));
          dev.key_index = static_cast<uint32_t>(attr_uint(*d, "key-index"));
          // Companions without a key-index are not trustworthy devices (Baileys drops them).
          if (dev.id != 0 && !d->has_attr("key-index")) continue;
          if (d->attr_or("is_hosted", "") == "true") continue;
          u.devices.push_back(dev);
        }
      }
    }
    out.push_back(std::move(u));
  }
  return out;
}

core::Result<GroupInfo> parse_group(const Node& group) {
  if (group.tag != "group") return core::Status::invalid_argument("not a <group> node");
  GroupInfo g;
  std::string id = group.attr_or("id", "");
  if (id.empty()) return core::Status::invalid_argument("<group> without id");
  g.jid = id.find('@') == std::string::npos ? id + "@g.us" : id;
  g.subject = group.attr_or("subject", "");
  g.owner = group.attr_or("creator", "");
  g.creation = static_cast<int64_t>(attr_uint(group, "creation"));
  g.addressing_mode = group.attr_or("addressing_mode", "pn");
  for (const Node* p : group.children("participant")) {
    GroupParticipant gp;
    gp.jid = p->attr_or("jid", "");
    if (gp.jid.empty()) continue;
    gp.phone_number = p->attr_or("phone_number", "");
    gp.lid = p->attr_or("lid", "");
    gp.role = p->attr_or("type", "");
    g.participants.push_back(std::move(gp));
  }
  return g;
}

Node build_retry_receipt(const RetryReceiptParams& p) {
  Node r("receipt", {{"id", p.id}, {"type", "retry"}, {"to", p.to}});
  if (!p.participant.empty()) r.set("participant", p.participant);
  if (!p.recipient.empty()) r.set("recipient", p.recipient);
  r.add_child(Node("retry", {{"count", std::to_string(p.count)},
                             {"id", p.id},
                             {"t", p.original_t.empty() ? "0" : p.original_t},
                             {"v", "1"}}));
  r.add_child(bytes_node("registration", core::uint_be_bytes(p.registration_id, 4)));
  if (p.creds != nullptr && p.pre_key) {
    const auto& c = *p.creds;
    Node keys("keys");
    keys.add_child(bytes_node("type", core::Bytes{5}));
    keys.add_child(bytes_node("identity", core::ByteView(c.identity_key.public_key)));
    keys.add_child(Node("key", {},
                        Node::Children{bytes_node("id", core::uint_be_bytes(p.pre_key->id, 3)),
                                       bytes_node("value", p.pre_key->key_pair.public_view())}));
    keys.add_child(Node(
        "skey", {},
        Node::Children{bytes_node("id", core::uint_be_bytes(c.signed_pre_key.id, 3)),
                       bytes_node("value", core::ByteView(c.signed_pre_key.key_pair.public_key)),
                       bytes_node("signature", c.signed_pre_key.signature)}));
    if (!c.account.empty()) keys.add_child(bytes_node("device-identity", c.account));
    r.add_child(std::move(keys));
  }
  return r;
}

std::optional<signal::PreKeyBundle> parse_retry_keys(const Node& receipt, uint32_t device_id) {
  const Node* keys = receipt.child("keys");
  if (keys == nullptr) return std::nullopt;
  Node merged = *keys;
  if (const Node* reg = receipt.child("registration")) merged.add_child(*reg);
  auto b = parse_bundle_fields(merged, device_id);
  if (!b.ok()) return std::nullopt;
  return std::move(*b);
}

}  // namespace wa::client
