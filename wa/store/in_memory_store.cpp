#include "wa/store/in_memory_store.h"

#include <utility>

namespace wa::store {

namespace {

template <typename Map, typename Key>
std::optional<core::Bytes> find_bytes(const Map& map, const Key& key) {
  auto it = map.find(key);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

template <typename Map, typename Overlay>
void apply_overlay(Map& target, const Overlay& overlay) {
  for (const auto& [key, value] : overlay) {
    if (value.has_value()) {
      target[key] = *value;
    } else {
      target.erase(key);
    }
  }
}

}  // namespace

// Buffers in the overlay; commit takes the store's lock, runs the hooks (all must succeed) and
// then applies every write, so other threads never see half a transaction.
class InMemoryStore::InMemoryTransaction final : public OverlayTransaction {
 public:
  explicit InMemoryTransaction(InMemoryStore& store) : OverlayTransaction(store), store_(store) {}

 protected:
  core::Status apply(const SignalWriteSet& writes, std::vector<CommitHook>& hooks) override {
    std::lock_guard lock(store_.mutex_);
    for (auto& hook : hooks) {
      CORE_RETURN_IF_ERROR(hook());
    }
    apply_overlay(store_.identities_, writes.identities);
    apply_overlay(store_.sessions_, writes.sessions);
    apply_overlay(store_.pre_keys_, writes.pre_keys);
    apply_overlay(store_.signed_pre_keys_, writes.signed_pre_keys);
    apply_overlay(store_.sender_keys_, writes.sender_keys);
    return core::Status();
  }

 private:
  InMemoryStore& store_;
};

std::unique_ptr<Transaction> InMemoryStore::begin() {
  return std::make_unique<InMemoryTransaction>(*this);
}

core::Result<std::optional<core::Bytes>> InMemoryStore::load_identity(
    const SignalAddress& address) {
  std::lock_guard lock(mutex_);
  return find_bytes(identities_, address);
}

core::Status InMemoryStore::save_identity(const SignalAddress& address, core::ByteView key) {
  std::lock_guard lock(mutex_);
  identities_[address] = core::to_bytes(key);
  return core::Status();
}

core::Status InMemoryStore::delete_identity(const SignalAddress& address) {
  std::lock_guard lock(mutex_);
  identities_.erase(address);
  return core::Status();
}

core::Result<std::optional<core::Bytes>> InMemoryStore::load_session(const SignalAddress& address) {
  std::lock_guard lock(mutex_);
  return find_bytes(sessions_, address);
}

core::Status InMemoryStore::store_session(const SignalAddress& address, core::ByteView record) {
  std::lock_guard lock(mutex_);
  sessions_[address] = core::to_bytes(record);
  return core::Status();
}

core::Result<std::vector<uint32_t>> InMemoryStore::list_session_devices(const std::string& name) {
  std::lock_guard lock(mutex_);
  std::vector<uint32_t> devices;
  for (auto it = sessions_.lower_bound(SignalAddress{name, 0});
       it != sessions_.end() && it->first.name == name; ++it) {
    devices.push_back(it->first.device_id);
  }
  return devices;
}

core::Status InMemoryStore::delete_session(const SignalAddress& address) {
  std::lock_guard lock(mutex_);
  sessions_.erase(address);
  return core::Status();
}

core::Status InMemoryStore::delete_all_sessions(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.lower_bound(SignalAddress{name, 0});
  while (it != sessions_.end() && it->first.name == name) it = sessions_.erase(it);
  return core::Status();
}

core::Result<std::optional<core::Bytes>> InMemoryStore::load_pre_key(uint32_t id) {
  std::lock_guard lock(mutex_);
  return find_bytes(pre_keys_, id);
}

core::Status InMemoryStore::store_pre_key(uint32_t id, core::ByteView record) {
  std::lock_guard lock(mutex_);
  pre_keys_[id] = core::to_bytes(record);
  return core::Status();
}

core::Status InMemoryStore::remove_pre_key(uint32_t id) {
  std::lock_guard lock(mutex_);
  pre_keys_.erase(id);
  return core::Status();
}

core::Result<std::optional<core::Bytes>> InMemoryStore::load_signed_pre_key(uint32_t id) {
  std::lock_guard lock(mutex_);
  return find_bytes(signed_pre_keys_, id);
}

core::Status InMemoryStore::store_signed_pre_key(uint32_t id, core::ByteView record) {
  std::lock_guard lock(mutex_);
  signed_pre_keys_[id] = core::to_bytes(record);
  return core::Status();
}

core::Status InMemoryStore::remove_signed_pre_key(uint32_t id) {
  std::lock_guard lock(mutex_);
  signed_pre_keys_.erase(id);
  return core::Status();
}

core::Result<std::vector<uint32_t>> InMemoryStore::list_signed_pre_keys() {
  std::lock_guard lock(mutex_);
  std::vector<uint32_t> ids;
  ids.reserve(signed_pre_keys_.size());
  for (const auto& entry : signed_pre_keys_) ids.push_back(entry.first);
  return ids;
}

core::Result<std::optional<core::Bytes>> InMemoryStore::load_sender_key(const SenderKeyName& name) {
  std::lock_guard lock(mutex_);
  return find_bytes(sender_keys_, name);
}

core::Status InMemoryStore::store_sender_key(const SenderKeyName& name, core::ByteView record) {
  std::lock_guard lock(mutex_);
  sender_keys_[name] = core::to_bytes(record);
  return core::Status();
}

core::Status InMemoryStore::delete_sender_key(const SenderKeyName& name) {
  std::lock_guard lock(mutex_);
  sender_keys_.erase(name);
  return core::Status();
}

core::Result<std::optional<DeviceCredentials>> InMemoryStore::load_credentials() {
  std::lock_guard lock(mutex_);
  return credentials_;
}

core::Status InMemoryStore::save_credentials(const DeviceCredentials& credentials) {
  std::lock_guard lock(mutex_);
  credentials_ = credentials;
  return core::Status();
}

core::Status InMemoryStore::store_lid_mapping(const std::string& pn_user,
                                              const std::string& lid_user) {
  if (pn_user.empty() || lid_user.empty()) {
    return core::Status::invalid_argument("LID mapping needs both a PN user and a LID user");
  }
  std::lock_guard lock(mutex_);
  // Keep the two directions a bijection: drop stale partners of either side first.
  if (auto it = lid_by_pn_.find(pn_user); it != lid_by_pn_.end()) pn_by_lid_.erase(it->second);
  if (auto it = pn_by_lid_.find(lid_user); it != pn_by_lid_.end()) lid_by_pn_.erase(it->second);
  lid_by_pn_[pn_user] = lid_user;
  pn_by_lid_[lid_user] = pn_user;
  return core::Status();
}

core::Result<std::optional<std::string>> InMemoryStore::lid_for_pn(const std::string& pn_user) {
  std::lock_guard lock(mutex_);
  auto it = lid_by_pn_.find(pn_user);
  if (it == lid_by_pn_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

core::Result<std::optional<std::string>> InMemoryStore::pn_for_lid(const std::string& lid_user) {
  std::lock_guard lock(mutex_);
  auto it = pn_by_lid_.find(lid_user);
  if (it == pn_by_lid_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

core::Status InMemoryStore::upsert_contact(const Contact& contact) {
  if (contact.jid.empty()) return core::Status::invalid_argument("contact without a jid");
  std::lock_guard lock(mutex_);
  contacts_[contact.jid] = contact;
  return core::Status();
}

core::Result<std::optional<Contact>> InMemoryStore::load_contact(const std::string& jid) {
  std::lock_guard lock(mutex_);
  auto it = contacts_.find(jid);
  if (it == contacts_.end()) return std::optional<Contact>();
  return std::optional<Contact>(it->second);
}

core::Result<std::vector<Contact>> InMemoryStore::list_contacts() {
  std::lock_guard lock(mutex_);
  std::vector<Contact> out;
  out.reserve(contacts_.size());
  for (const auto& entry : contacts_) out.push_back(entry.second);
  return out;
}

core::Status InMemoryStore::store_message_secret(const std::string& message_id,
                                                 core::ByteView secret) {
  if (message_id.empty()) return core::Status::invalid_argument("message secret without an id");
  std::lock_guard lock(mutex_);
  message_secrets_[message_id] = core::to_bytes(secret);
  return core::Status();
}

core::Result<std::optional<core::Bytes>> InMemoryStore::load_message_secret(
    const std::string& message_id) {
  std::lock_guard lock(mutex_);
  return find_bytes(message_secrets_, message_id);
}

size_t InMemoryStore::pre_key_count() const {
  std::lock_guard lock(mutex_);
  return pre_keys_.size();
}

size_t InMemoryStore::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace wa::store
