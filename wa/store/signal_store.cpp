#include "wa/store/signal_store.h"

#include <algorithm>
#include <set>

namespace wa::store {

core::Status SessionStore::delete_all_sessions(const std::string& name) {
  CORE_ASSIGN_OR_RETURN(auto devices, list_session_devices(name));
  for (uint32_t device : devices) {
    CORE_RETURN_IF_ERROR(delete_session(SignalAddress{name, device}));
  }
  return core::Status();
}

core::Status PreKeyStore::store_pre_keys(
    std::span<const std::pair<uint32_t, core::Bytes>> records) {
  for (const auto& [id, record] : records) {
    CORE_RETURN_IF_ERROR(store_pre_key(id, record));
  }
  return core::Status();
}

namespace {

// Looks `key` up in the overlay first; falls back to `load` on the backing store.
template <typename Map, typename Key, typename Load>
core::Result<std::optional<core::Bytes>> read_through(const Map& overlay, const Key& key,
                                                      Load&& load) {
  auto it = overlay.find(key);
  if (it != overlay.end()) return it->second;
  return load();
}

}  // namespace

core::Status OverlayTransaction::check_open() const {
  if (done_) return core::Status::failed_precondition("transaction already committed");
  return core::Status();
}

core::Result<std::optional<core::Bytes>> OverlayTransaction::load_identity(
    const SignalAddress& address) {
  CORE_RETURN_IF_ERROR(check_open());
  return read_through(writes_.identities, address, [&] { return backing_.load_identity(address); });
}

core::Status OverlayTransaction::save_identity(const SignalAddress& address, core::ByteView key) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.identities[address] = core::to_bytes(key);
  return core::Status();
}

core::Status OverlayTransaction::delete_identity(const SignalAddress& address) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.identities[address] = std::nullopt;
  return core::Status();
}

core::Result<std::optional<core::Bytes>> OverlayTransaction::load_session(
    const SignalAddress& address) {
  CORE_RETURN_IF_ERROR(check_open());
  return read_through(writes_.sessions, address, [&] { return backing_.load_session(address); });
}

core::Status OverlayTransaction::store_session(const SignalAddress& address,
                                               core::ByteView record) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.sessions[address] = core::to_bytes(record);
  return core::Status();
}

core::Result<std::vector<uint32_t>> OverlayTransaction::list_session_devices(
    const std::string& name) {
  CORE_RETURN_IF_ERROR(check_open());
  CORE_ASSIGN_OR_RETURN(auto backed, backing_.list_session_devices(name));
  std::set<uint32_t> devices(backed.begin(), backed.end());
  for (auto it = writes_.sessions.lower_bound(SignalAddress{name, 0});
       it != writes_.sessions.end() && it->first.name == name; ++it) {
    if (it->second.has_value()) {
      devices.insert(it->first.device_id);
    } else {
      devices.erase(it->first.device_id);
    }
  }
  return std::vector<uint32_t>(devices.begin(), devices.end());
}

core::Status OverlayTransaction::delete_session(const SignalAddress& address) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.sessions[address] = std::nullopt;
  return core::Status();
}

core::Result<std::optional<core::Bytes>> OverlayTransaction::load_pre_key(uint32_t id) {
  CORE_RETURN_IF_ERROR(check_open());
  return read_through(writes_.pre_keys, id, [&] { return backing_.load_pre_key(id); });
}

core::Status OverlayTransaction::store_pre_key(uint32_t id, core::ByteView record) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.pre_keys[id] = core::to_bytes(record);
  return core::Status();
}

core::Status OverlayTransaction::remove_pre_key(uint32_t id) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.pre_keys[id] = std::nullopt;
  return core::Status();
}

core::Result<std::optional<core::Bytes>> OverlayTransaction::load_signed_pre_key(uint32_t id) {
  CORE_RETURN_IF_ERROR(check_open());
  return read_through(writes_.signed_pre_keys, id,
                      [&] { return backing_.load_signed_pre_key(id); });
}

core::Status OverlayTransaction::store_signed_pre_key(uint32_t id, core::ByteView record) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.signed_pre_keys[id] = core::to_bytes(record);
  return core::Status();
}

core::Status OverlayTransaction::remove_signed_pre_key(uint32_t id) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.signed_pre_keys[id] = std::nullopt;
  return core::Status();
}

core::Result<std::vector<uint32_t>> OverlayTransaction::list_signed_pre_keys() {
  CORE_RETURN_IF_ERROR(check_open());
  CORE_ASSIGN_OR_RETURN(auto backed, backing_.list_signed_pre_keys());
  std::set<uint32_t> ids(backed.begin(), backed.end());
  for (const auto& [id, value] : writes_.signed_pre_keys) {
    if (value.has_value()) {
      ids.insert(id);
    } else {
      ids.erase(id);
    }
  }
  return std::vector<uint32_t>(ids.begin(), ids.end());
}

core::Result<std::optional<core::Bytes>> OverlayTransaction::load_sender_key(
    const SenderKeyName& name) {
  CORE_RETURN_IF_ERROR(check_open());
  return read_through(writes_.sender_keys, name, [&] { return backing_.load_sender_key(name); });
}

core::Status OverlayTransaction::store_sender_key(const SenderKeyName& name,
                                                  core::ByteView record) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.sender_keys[name] = core::to_bytes(record);
  return core::Status();
}

core::Status OverlayTransaction::delete_sender_key(const SenderKeyName& name) {
  CORE_RETURN_IF_ERROR(check_open());
  writes_.sender_keys[name] = std::nullopt;
  return core::Status();
}

void OverlayTransaction::add_commit_hook(CommitHook hook) {
  if (hook) hooks_.push_back(std::move(hook));
}

core::Status OverlayTransaction::commit() {
  CORE_RETURN_IF_ERROR(check_open());
  core::Status status = apply(writes_, hooks_);
  if (!status.ok()) return status;  // still open: the caller may retry the commit or drop it
  done_ = true;
  writes_ = SignalWriteSet();
  hooks_.clear();
  return core::Status();
}

}  // namespace wa::store
