// Virtual contacts (see virtual_contact.h): the Signal store, the phone's key bundle, decrypting
// what is routed to device 0, receipts, echo replies and virtual_send.
#include "simulator/virtual_contact.h"

#include <algorithm>

#include "core/encoding.h"
#include "proto/message.pb.h"
#include "simulator/simulator_impl.h"
#include "wa/signal/address.h"
#include "wa/signal/keys.h"
#include "wa/signal/padding.h"

namespace sim {
namespace {

using wa::store::SenderKeyName;
using wa::store::SignalAddress;

constexpr uint32_t kPreKeyBatch = 50;
constexpr size_t kPreKeyLow = 10;

std::string addr_key(const char* kind, const SignalAddress& a) {
  return std::string(kind) + a.name + "." + std::to_string(a.device_id);
}
std::string id_key(const char* kind, uint32_t id) { return std::string(kind) + std::to_string(id); }

class VirtualTransaction final : public wa::store::OverlayTransaction {
 public:
  explicit VirtualTransaction(VirtualSignalStore& store)
      : OverlayTransaction(store), store_(store) {}

 protected:
  core::Status apply(const wa::store::SignalWriteSet& w, std::vector<CommitHook>& hooks) override {
    for (auto& hook : hooks) CORE_RETURN_IF_ERROR(hook());
    for (const auto& [a, v] : w.identities)
      v ? (void)store_.save_identity(a, *v) : (void)store_.delete_identity(a);
    for (const auto& [a, v] : w.sessions)
      v ? (void)store_.store_session(a, *v) : (void)store_.delete_session(a);
    for (const auto& [id, v] : w.pre_keys)
      v ? (void)store_.store_pre_key(id, *v) : (void)store_.remove_pre_key(id);
    for (const auto& [id, v] : w.signed_pre_keys)
      v ? (void)store_.store_signed_pre_key(id, *v) : (void)store_.remove_signed_pre_key(id);
    for (const auto& [n, v] : w.sender_keys)
      v ? (void)store_.store_sender_key(n, *v) : (void)store_.delete_sender_key(n);
    return {};
  }

 private:
  VirtualSignalStore& store_;
};

core::Bytes u32_bytes(uint32_t v) { return core::uint_be_bytes(v, 4); }

}  // namespace

// --- VirtualSignalStore ----------------------------------------------------------------------

std::unique_ptr<wa::store::Transaction> VirtualSignalStore::begin() {
  return std::make_unique<VirtualTransaction>(*this);
}
std::optional<core::Bytes> VirtualSignalStore::get(const std::string& key) const {
  auto it = rows_.find(key);
  if (it == rows_.end()) return std::nullopt;
  return it->second;
}
void VirtualSignalStore::put(const std::string& key, std::optional<core::Bytes> value) {
  if (value) {
    rows_[key] = *value;
  } else {
    rows_.erase(key);
  }
  if (persist_) persist_(key, value);
}
core::Result<std::optional<core::Bytes>> VirtualSignalStore::load_identity(const SignalAddress& a) {
  return get(addr_key("i/", a));
}
core::Status VirtualSignalStore::save_identity(const SignalAddress& a, core::ByteView key) {
  put(addr_key("i/", a), core::to_bytes(key));
  return {};
}
core::Status VirtualSignalStore::delete_identity(const SignalAddress& a) {
  put(addr_key("i/", a), std::nullopt);
  return {};
}
core::Result<std::optional<core::Bytes>> VirtualSignalStore::load_session(const SignalAddress& a) {
  return get(addr_key("s/", a));
}
core::Status VirtualSignalStore::store_session(const SignalAddress& a, core::ByteView record) {
  put(addr_key("s/", a), core::to_bytes(record));
  return {};
}
core::Result<std::vector<uint32_t>> VirtualSignalStore::list_session_devices(
    const std::string& name) {
  std::vector<uint32_t> out;
  const std::string prefix = "s/" + name + ".";
  for (auto it = rows_.lower_bound(prefix); it != rows_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    const std::string rest = it->first.substr(prefix.size());
    if (is_digits(rest)) out.push_back(static_cast<uint32_t>(std::stoul(rest)));
  }
  std::sort(out.begin(), out.end());
  return out;
}
core::Status VirtualSignalStore::delete_session(const SignalAddress& a) {
  put(addr_key("s/", a), std::nullopt);
  return {};
}
core::Result<std::optional<core::Bytes>> VirtualSignalStore::load_pre_key(uint32_t id) {
  return get(id_key("p/", id));
}
core::Status VirtualSignalStore::store_pre_key(uint32_t id, core::ByteView record) {
  put(id_key("p/", id), core::to_bytes(record));
  return {};
}
core::Status VirtualSignalStore::remove_pre_key(uint32_t id) {
  put(id_key("p/", id), std::nullopt);
  return {};
}
core::Result<std::optional<core::Bytes>> VirtualSignalStore::load_signed_pre_key(uint32_t id) {
  return get(id_key("k/", id));
}
core::Status VirtualSignalStore::store_signed_pre_key(uint32_t id, core::ByteView record) {
  put(id_key("k/", id), core::to_bytes(record));
  return {};
}
core::Status VirtualSignalStore::remove_signed_pre_key(uint32_t id) {
  put(id_key("k/", id), std::nullopt);
  return {};
}
core::Result<std::vector<uint32_t>> VirtualSignalStore::list_signed_pre_keys() {
  std::vector<uint32_t> out;
  for (auto it = rows_.lower_bound("k/"); it != rows_.end(); ++it) {
    if (it->first.compare(0, 2, "k/") != 0) break;
    if (is_digits(it->first.substr(2)))
      out.push_back(static_cast<uint32_t>(std::stoul(it->first.substr(2))));
  }
  std::sort(out.begin(), out.end());
  return out;
}
core::Result<std::optional<core::Bytes>> VirtualSignalStore::load_sender_key(
    const SenderKeyName& n) {
  return get("g/" + n.to_string());
}
core::Status VirtualSignalStore::store_sender_key(const SenderKeyName& n, core::ByteView record) {
  put("g/" + n.to_string(), core::to_bytes(record));
  return {};
}
core::Status VirtualSignalStore::delete_sender_key(const SenderKeyName& n) {
  put("g/" + n.to_string(), std::nullopt);
  return {};
}

// --- the virtual phone -----------------------------------------------------------------------

core::Status SimulatorImpl::init_virtual(Account& a, bool created) {
  const std::string phone = a.phone;
  auto phone_state = std::make_unique<VirtualPhone>();
  phone_state->store = std::make_unique<VirtualSignalStore>(
      store_->load_virtual(phone),
      [this, phone](const std::string& key, const std::optional<core::Bytes>& value) {
        persist(store_->put_virtual(phone, key, value));
      });
  VirtualSignalStore& vs = *phone_state->store;

  auto regid_row = vs.get("regid");
  if (created || !regid_row || !a.devices.count(0)) {
    const uint32_t regid = wa::signal::generate_registration_id(random_);
    vs.put("regid", u32_bytes(regid));
    CORE_ASSIGN_OR_RETURN(auto spk, wa::signal::generate_signed_pre_key(a.identity, 1, random_));
    CORE_RETURN_IF_ERROR(
        wa::signal::save_signed_pre_key(vs, spk, static_cast<uint64_t>(clock_.unix_millis())));
    Device d;
    d.id = 0;
    d.identity = core::to_bytes(a.identity.public_view());
    d.registration_id = regid;
    d.skey = {spk.id, core::to_bytes(spk.key_pair.public_view()), spk.signature};
    d.platform = "android";
    persist(store_->save_device(phone, d));
    a.devices[0] = std::move(d);
    vs.put("next_prekey", u32_bytes(1));
    regid_row = u32_bytes(regid);
  }
  auto next = vs.get("next_prekey");
  phone_state->next_prekey_id =
      next && next->size() == 4 ? static_cast<uint32_t>(core::get_uint_be(*next, 4)) : 1;
  wa::signal::LocalIdentity local{a.identity,
                                  static_cast<uint32_t>(core::get_uint_be(*regid_row, 4))};
  CORE_ASSIGN_OR_RETURN(phone_state->signal,
                        wa::signal::SignalProtocol::create(vs, local, &random_));
  virtual_phones_[phone] = std::move(phone_state);
  replenish_virtual_prekeys(a);
  return {};
}

void SimulatorImpl::replenish_virtual_prekeys(Account& a) {
  auto vit = virtual_phones_.find(a.phone);
  auto dit = a.devices.find(0);
  if (vit == virtual_phones_.end() || dit == a.devices.end()) return;
  Device& d = dit->second;
  if (d.prekeys.size() >= kPreKeyLow) return;
  VirtualPhone& vp = *vit->second;
  auto keys = wa::signal::generate_pre_keys(vp.next_prekey_id, kPreKeyBatch, random_);
  persist(wa::signal::save_pre_keys(*vp.store, keys));
  std::vector<std::pair<uint32_t, core::Bytes>> published;
  for (const auto& k : keys) {
    d.prekeys[k.id] = core::to_bytes(k.key_pair.public_view());
    published.emplace_back(k.id, d.prekeys[k.id]);
  }
  vp.next_prekey_id = wa::signal::next_pre_key_id(keys.back().id);
  vp.store->put("next_prekey", u32_bytes(vp.next_prekey_id));
  persist(store_->put_prekeys(a.phone, 0, published));
}

void SimulatorImpl::virtual_receive(Account& a, const Node& stanza) {
  if (stanza.tag != "message") return;  // receipts and notifications need no action
  auto vit = virtual_phones_.find(a.phone);
  if (vit == virtual_phones_.end()) return;
  wa::signal::SignalProtocol& signal = *vit->second->signal;
  const std::string from = stanza.attr_or("from", "");
  auto from_jid = wa::binary::parse_jid(from);
  if (!from_jid.ok()) return;
  const bool group = from_jid->is_group();
  const std::string sender_text = group ? stanza.attr_or("participant", "") : from;
  auto sender = resolve(sender_text);
  if (!sender) return;
  // The phone keys every session by the sender's LID address, whatever form the chat uses.
  auto address = wa::signal::address_from_jid(lid_jid(sender->account->lid, sender->device));
  if (!address.ok()) return;

  std::optional<waproto::Message> text_message;
  for (const Node* enc : stanza.children("enc")) {
    const core::Bytes* ct = enc->bytes();
    auto type = wa::signal::parse_message_type(enc->attr_or("type", ""));
    if (!ct || !type.ok()) continue;
    core::Result<core::Bytes> plain = core::Status::invalid_argument("");
    if (*type == wa::signal::MessageType::kSenderKey) {
      plain = signal.group_decrypt(from, *address, *ct);
    } else {
      auto d = signal.decrypt(*address, *type, *ct);
      if (d.ok())
        plain = std::move(d->plaintext);
      else
        plain = d.status();
    }
    if (!plain.ok()) continue;
    auto unpadded = wa::signal::unpad(*plain);
    if (!unpadded.ok()) continue;
    waproto::Message m;
    if (!m.ParseFromArray(unpadded->data(), static_cast<int>(unpadded->size()))) continue;
    if (m.has_sender_key_distribution_message() && group) {
      const auto& skdm = m.sender_key_distribution_message();
      (void)signal.process_sender_key_distribution(
          from, *address, core::as_view(skdm.axolotl_sender_key_distribution_message()));
    }
    if (m.has_conversation() || m.has_extended_text_message()) text_message = std::move(m);
  }

  // Delivery then read receipts to the sender's devices.
  Account* sender_account = sender->account;
  if (sender_account == &a) return;  // a DSM from one of its own companions
  const std::string id = stanza.attr_or("id", "");
  for (const char* type : {"", "read"}) {
    Node r = make_node("receipt");
    if (group) {
      auto git = groups_.find(from_jid->user);
      if (git == groups_.end()) return;
      r.set("from", from);
      r.set("participant", member_jid(git->second, a.phone));
    } else {
      r.set("from", device_jid(a, 0, from_jid->is_lid()));
    }
    r.set("id", id);
    r.set("t", now_str());
    if (*type) r.set("type", type);
    for (uint16_t d : routable_devices(*sender_account)) deliver(*sender_account, d, r);
  }

  if (a.virtual_kind != VirtualKind::kEcho || group || !text_message) return;
  const std::string text = text_message->has_conversation()
                               ? text_message->conversation()
                               : text_message->extended_text_message().text();
  // Replies go out after the current stanza is fully handled.
  const std::string me = a.phone, them = sender_account->phone;
  const bool lid = from_jid->is_lid();
  scheduler_.after(std::chrono::milliseconds(0), [this, me, them, text, lid] {
    Account* from_acc = find_account(me);
    Account* to_acc = find_account(them);
    if (from_acc && to_acc) persist(send_virtual_text(*from_acc, *to_acc, text, lid));
  });
}

core::Status SimulatorImpl::send_virtual_text(Account& from, Account& to, const std::string& text,
                                              bool lid) {
  auto vit = virtual_phones_.find(from.phone);
  if (vit == virtual_phones_.end()) return core::Status::failed_precondition("not virtual");
  wa::signal::SignalProtocol& signal = *vit->second->signal;
  waproto::Message m;
  m.set_conversation(text);
  m.mutable_message_context_info()->set_message_secret(core::to_string(random_.bytes(32)));
  const core::Bytes padded = wa::signal::pad(core::as_view(m.SerializeAsString()), random_);
  const std::string id = "3EB0" + core::hex_encode(random_.bytes(9));
  std::string upper_id = id;
  for (auto& ch : upper_id) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));

  int sent = 0;
  for (uint16_t dev : routable_devices(to)) {
    if (&to == &from && dev == 0) continue;
    auto address = wa::signal::address_from_jid(lid_jid(to.lid, dev));
    if (!address.ok()) continue;
    auto has = signal.has_session(*address);
    if (!has.ok()) continue;
    if (!*has) {
      Device& d = to.devices.at(dev);
      if (d.identity.size() != 32 || d.skey.pub.size() != 32) continue;
      wa::signal::PreKeyBundle bundle;
      bundle.registration_id = d.registration_id;
      bundle.device_id = dev;
      bundle.identity_key = d.identity;
      bundle.signed_pre_key = {d.skey.id, d.skey.pub, d.skey.sig};
      if (!d.prekeys.empty()) {
        auto first = d.prekeys.begin();
        bundle.pre_key = wa::signal::BundlePreKey{first->first, first->second};
        persist(store_->delete_prekey(to.phone, dev, first->first));
        d.prekeys.erase(first);
      }
      auto processed = signal.process_bundle(*address, bundle);
      if (!processed.ok()) continue;
    }
    auto enc = signal.encrypt(*address, padded);
    if (!enc.ok()) continue;
    Node msg = make_node(
        "message",
        {{"from", device_jid(from, 0, lid)}, {"id", upper_id}, {"type", "text"}, {"t", now_str()}});
    if (lid) {
      msg.set("sender_pn", pn_jid(from.phone));
    } else {
      msg.set("sender_lid", lid_jid(from.lid));
    }
    if (!from.name.empty()) msg.set("notify", from.name);
    msg.add_child(make_node("enc", {{"v", "2"}, {"type", std::string(enc->type_name())}},
                            std::move(enc->ciphertext)));
    deliver(to, dev, std::move(msg));
    ++sent;
  }
  ++stats_.messages_routed;
  if (sent == 0) return core::Status::unavailable("the recipient has no device to encrypt to");
  return {};
}

core::Status SimulatorImpl::virtual_send(const std::string& phone, const std::string& to,
                                         const std::string& text) {
  Account* from = find_account(phone);
  if (!from) return core::Status::not_found("unknown account " + phone);
  if (from->virtual_kind == VirtualKind::kNone) {
    return core::Status::failed_precondition(phone + " is not a virtual account");
  }
  std::string target = to;
  if (!target.empty() && target[0] == '+') target.erase(0, 1);
  if (is_digits(target)) target = pn_jid(target);
  auto addr = resolve(target);
  if (!addr) return core::Status::not_found("unknown recipient " + to);
  return send_virtual_text(*from, *addr->account, text, addr->lid);
}

}  // namespace sim
