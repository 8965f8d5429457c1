// Control-API account operations: create and list accounts, unlink a companion, and the
// `devices` notification (wa-protocol.md §7.3) that tells other clients about it.
#include <algorithm>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "simulator/simulator_impl.h"

namespace sim {

core::Result<AccountInfo> SimulatorImpl::create_account(const std::string& phone_in,
                                                        const std::string& name, VirtualKind kind) {
  std::string phone = phone_in;
  if (!phone.empty() && phone[0] == '+') phone.erase(0, 1);
  if (!is_digits(phone) || phone.size() < 7 || phone.size() > 15 || phone[0] == '0') {
    return core::Status::invalid_argument("phone must be 7-15 digits (E.164 without '+')");
  }
  if (accounts_.count(phone)) return core::Status::already_exists("account " + phone + " exists");
  Account a;
  a.phone = phone;
  a.name = name;
  a.virtual_kind = kind;
  do {
    a.lid = std::to_string(1 + random_.uniform(9));
    for (int i = 0; i < 14; ++i) a.lid += static_cast<char>('0' + random_.uniform(10));
  } while (lid_to_phone_.count(a.lid) || accounts_.count(a.lid));
  a.identity = crypto::generate_key_pair(random_);
  a.adv_raw_id = random_.next_u32();
  a.push_name = name;
  persist(store_->save_account(a));
  Account& stored = accounts_[phone] = std::move(a);
  lid_to_phone_[stored.lid] = phone;
  if (kind != VirtualKind::kNone) {
    auto st = init_virtual(stored, /*created=*/true);
    if (!st.ok()) {
      lid_to_phone_.erase(stored.lid);
      accounts_.erase(phone);
      return st;
    }
  }
  for (auto& info : list_accounts())
    if (info.phone == phone) return info;
  return core::Status::internal("account not listed after creation");
}

std::vector<AccountInfo> SimulatorImpl::list_accounts() const {
  std::vector<AccountInfo> out;
  for (const auto& [phone, a] : accounts_) {
    AccountInfo info;
    info.phone = a.phone;
    info.lid = a.lid;
    info.name = a.name;
    info.virtual_kind = a.virtual_kind;
    for (uint16_t id : routable_devices(a)) {
      AccountInfo::Device d;
      d.id = id;
      d.jid = pn_jid(a.phone, id);
      auto it = device_conns_.find({a.phone, id});
      d.online = id == 0 ? true : it != device_conns_.end();
      info.devices.push_back(std::move(d));
    }
    out.push_back(std::move(info));
  }
  return out;
}

core::Status SimulatorImpl::remove_device(const std::string& phone, uint16_t device) {
  Account* a = find_account(phone);
  if (!a) return core::Status::not_found("unknown account " + phone);
  if (device == 0) return core::Status::invalid_argument("device 0 is the phone");
  if (!a->devices.count(device)) return core::Status::not_found("unknown device");
  if (Connection* c = device_conn(phone, device)) {
    stream_error(c->id, 401, make_node("conflict", {{"type", "device_removed"}}));
  }
  a = find_account(phone);
  a->devices.erase(device);
  persist(store_->delete_device(phone, device));
  send_devices_notification(*a, device, /*add=*/false);
  return {};
}

void SimulatorImpl::send_devices_notification(const Account& a, uint16_t device, bool add) {
  // whatsmeow's participantListHashV2 over the account's devices (phone included).
  std::vector<std::string> ad;
  ad.push_back(a.phone + ".0:0@s.whatsapp.net");
  for (const auto& [id, d] : a.devices)
    if (id != 0) ad.push_back(a.phone + ".0:" + std::to_string(id) + "@s.whatsapp.net");
  std::sort(ad.begin(), ad.end());
  std::string joined;
  for (const auto& s : ad) joined += s;
  const core::Bytes digest = crypto::sha256(core::as_view(joined));
  std::string hash = "2:" + core::base64_encode(core::ByteView(digest).subspan(0, 6));
  while (!hash.empty() && hash.back() == '=') hash.pop_back();

  Node dev =
      make_node("device", {{"jid", pn_jid(a.phone, device)}, {"lid", lid_jid(a.lid, device)}});
  if (add) {
    auto it = a.devices.find(device);
    if (it != a.devices.end()) dev.set("key-index", std::to_string(it->second.key_index));
  }
  Node change =
      make_node(add ? "add" : "remove", {{"device_hash", hash}}, Node::Children{std::move(dev)});
  Node n = make_node("notification",
                     {{"from", pn_jid(a.phone)},
                      {"lid", lid_jid(a.lid)},
                      {"type", "devices"},
                      {"id", new_id()},
                      {"t", now_str()}},
                     Node::Children{std::move(change)});
  broadcast_online(n);
}

}  // namespace sim
