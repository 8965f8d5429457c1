// SqlDeviceStore: the SQL implementation of wa/store's DeviceStore for one WhatsApp session
// (device): Signal identities, sessions, pre-keys, signed pre-keys and sender keys, the device
// credentials, the LID↔PN map, contacts and message secrets, all rows keyed by session id.
// Key material (every Signal record, the credentials, message secrets) is sealed with the
// SecretBox before it reaches SQL.
//
// Atomicity: begin() returns a write-buffer transaction (wa::store::OverlayTransaction). Its
// commit opens ONE DB transaction, writes every buffered Signal change, runs the caller's commit
// hooks on the same connection — repository calls made inside a hook join that transaction
// automatically (database.h, "ambient" session) — and commits. A crash anywhere before the
// COMMIT leaves neither the ratchet advance nor the caller's rows (e.g. the inbound message
// record); after it, both.
//
// Ownership: the store references the Database and SecretBox, which must outlive it and its
// transactions.
// Threading: thread-safe (no state besides the references); calls block — run them on the
// BlockingExecutor. Hooks must not start work on other threads that needs this transaction.
#pragma once

#include <memory>
#include <string>

#include "storage/database.h"
#include "storage/secret_box.h"
#include "wa/store/device_store.h"

namespace storage {

class SqlDeviceStore final : public wa::store::DeviceStore {
 public:
  // `session_id` must be an existing wa_sessions row (foreign keys cascade its deletion).
  SqlDeviceStore(Database& db, const SecretBox& box, std::string session_id);

  const std::string& session_id() const { return session_id_; }

  // SignalStore
  std::unique_ptr<wa::store::Transaction> begin() override;

  core::Result<std::optional<core::Bytes>> load_identity(
      const wa::store::SignalAddress& address) override;
  core::Status save_identity(const wa::store::SignalAddress& address, core::ByteView key) override;
  core::Status delete_identity(const wa::store::SignalAddress& address) override;

  core::Result<std::optional<core::Bytes>> load_session(
      const wa::store::SignalAddress& address) override;
  core::Status store_session(const wa::store::SignalAddress& address,
                             core::ByteView record) override;
  core::Result<std::vector<uint32_t>> list_session_devices(const std::string& name) override;
  core::Status delete_session(const wa::store::SignalAddress& address) override;
  core::Status delete_all_sessions(const std::string& name) override;

  core::Result<std::optional<core::Bytes>> load_pre_key(uint32_t id) override;
  core::Status store_pre_key(uint32_t id, core::ByteView record) override;
  core::Status remove_pre_key(uint32_t id) override;
  core::Status store_pre_keys(std::span<const std::pair<uint32_t, core::Bytes>> records) override;

  core::Result<std::optional<core::Bytes>> load_signed_pre_key(uint32_t id) override;
  core::Status store_signed_pre_key(uint32_t id, core::ByteView record) override;
  core::Status remove_signed_pre_key(uint32_t id) override;
  core::Result<std::vector<uint32_t>> list_signed_pre_keys() override;

  core::Result<std::optional<core::Bytes>> load_sender_key(
      const wa::store::SenderKeyName& name) override;
  core::Status store_sender_key(const wa::store::SenderKeyName& name,
                                core::ByteView record) override;
  core::Status delete_sender_key(const wa::store::SenderKeyName& name) override;

  // CredentialsStore
  core::Result<std::optional<wa::store::DeviceCredentials>> load_credentials() override;
  core::Status save_credentials(const wa::store::DeviceCredentials& credentials) override;

  // LidMappingStore
  core::Status store_lid_mapping(const std::string& pn_user, const std::string& lid_user) override;
  core::Result<std::optional<std::string>> lid_for_pn(const std::string& pn_user) override;
  core::Result<std::optional<std::string>> pn_for_lid(const std::string& lid_user) override;

  // ContactStore
  core::Status upsert_contact(const wa::store::Contact& contact) override;
  core::Result<std::optional<wa::store::Contact>> load_contact(const std::string& jid) override;
  core::Result<std::vector<wa::store::Contact>> list_contacts() override;

  // MessageSecretStore
  core::Status store_message_secret(const std::string& message_id, core::ByteView secret) override;
  core::Result<std::optional<core::Bytes>> load_message_secret(
      const std::string& message_id) override;

  // Forgets the device: credentials, Signal state, LID map, contacts and message secrets of this
  // session, in one transaction (re-linking a logged-out session). Messages and tokens stay.
  core::Status wipe();

  // Writes a whole write set (used by the transaction's commit; public for tests).
  core::Status write(soci::session& sql, const wa::store::SignalWriteSet& writes);

 private:
  class SqlTransaction;

  // Loads one sealed record: SELECT <col> FROM <table> WHERE session_id = :s AND <where>.
  core::Result<std::optional<core::Bytes>> load_sealed(const char* table, const std::string& where,
                                                       const std::string& a, const std::string* b);
  Database& db_;
  const SecretBox& box_;
  std::string session_id_;
};

// DeviceCredentials ⇄ JSON (the plaintext that gets sealed). Exposed for tests.
std::string credentials_to_json(const wa::store::DeviceCredentials& c);
core::Result<wa::store::DeviceCredentials> credentials_from_json(std::string_view json);

}  // namespace storage
