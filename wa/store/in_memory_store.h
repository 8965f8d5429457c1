// InMemoryStore: a DeviceStore kept in maps, for tests, the simulator's virtual contacts and
// ephemeral sessions. Nothing survives the process.
//
// Ownership: transactions from begin() hold a reference to the store; the store must outlive
// them.
// Threading: every method locks one mutex, so the store may be shared between threads; a
// transaction's commit applies its writes and runs its hooks under that lock (hooks must not
// call back into this store — they would deadlock).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "wa/store/device_store.h"
#include "wa/store/signal_store.h"

namespace wa::store {

class InMemoryStore final : public DeviceStore {
 public:
  InMemoryStore() = default;
  InMemoryStore(const InMemoryStore&) = delete;
  InMemoryStore& operator=(const InMemoryStore&) = delete;

  // SignalStore
  std::unique_ptr<Transaction> begin() override;

  core::Result<std::optional<core::Bytes>> load_identity(const SignalAddress& address) override;
  core::Status save_identity(const SignalAddress& address, core::ByteView key) override;
  core::Status delete_identity(const SignalAddress& address) override;

  core::Result<std::optional<core::Bytes>> load_session(const SignalAddress& address) override;
  core::Status store_session(const SignalAddress& address, core::ByteView record) override;
  core::Result<std::vector<uint32_t>> list_session_devices(const std::string& name) override;
  core::Status delete_session(const SignalAddress& address) override;
  core::Status delete_all_sessions(const std::string& name) override;

  core::Result<std::optional<core::Bytes>> load_pre_key(uint32_t id) override;
  core::Status store_pre_key(uint32_t id, core::ByteView record) override;
  core::Status remove_pre_key(uint32_t id) override;

  core::Result<std::optional<core::Bytes>> load_signed_pre_key(uint32_t id) override;
  core::Status store_signed_pre_key(uint32_t id, core::ByteView record) override;
  core::Status remove_signed_pre_key(uint32_t id) override;
  core::Result<std::vector<uint32_t>> list_signed_pre_keys() override;

  core::Result<std::optional<core::Bytes>> load_sender_key(const SenderKeyName& name) override;
  core::Status store_sender_key(const SenderKeyName& name, core::ByteView record) override;
  core::Status delete_sender_key(const SenderKeyName& name) override;

  // CredentialsStore
  core::Result<std::optional<DeviceCredentials>> load_credentials() override;
  core::Status save_credentials(const DeviceCredentials& credentials) override;

  // LidMappingStore
  core::Status store_lid_mapping(const std::string& pn_user, const std::string& lid_user) override;
  core::Result<std::optional<std::string>> lid_for_pn(const std::string& pn_user) override;
  core::Result<std::optional<std::string>> pn_for_lid(const std::string& lid_user) override;

  // ContactStore
  core::Status upsert_contact(const Contact& contact) override;
  core::Result<std::optional<Contact>> load_contact(const std::string& jid) override;
  core::Result<std::vector<Contact>> list_contacts() override;

  // MessageSecretStore
  core::Status store_message_secret(const std::string& message_id, core::ByteView secret) override;
  core::Result<std::optional<core::Bytes>> load_message_secret(
      const std::string& message_id) override;

  // Test helpers: record counts.
  size_t pre_key_count() const;
  size_t session_count() const;

 private:
  class InMemoryTransaction;

  mutable std::mutex mutex_;
  std::map<SignalAddress, core::Bytes> identities_;
  std::map<SignalAddress, core::Bytes> sessions_;
  std::map<uint32_t, core::Bytes> pre_keys_;
  std::map<uint32_t, core::Bytes> signed_pre_keys_;
  std::map<SenderKeyName, core::Bytes> sender_keys_;
  std::optional<DeviceCredentials> credentials_;
  std::map<std::string, std::string> lid_by_pn_;
  std::map<std::string, std::string> pn_by_lid_;
  std::map<std::string, Contact> contacts_;
  std::map<std::string, core::Bytes> message_secrets_;
};

}  // namespace wa::store
