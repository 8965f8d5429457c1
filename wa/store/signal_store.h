// The Signal protocol state of one WhatsApp device (remote identities, sessions, one-time and
// signed pre-keys, sender keys), split into narrow interfaces by data kind, plus the
// transaction model every decrypt/encrypt runs in.
//
// KEY DESIGN POINT — atomicity. The protocol requires that "writes that change ratchet state can
// commit atomically with the ack of the message that caused them". So wa/signal never writes to
// a SignalStore directly while it works: every operation runs against a `Transaction` obtained
// from `SignalStore::begin()`. A Transaction is a write-buffer overlay:
//   * reads see the transaction's own buffered writes first, then the backing store;
//   * writes (and deletes) stay in the buffer; the backing store does not change;
//   * `commit()` applies the whole buffer at once, together with any commit hooks the caller
//     added (e.g. "record message X as processed"); if anything fails nothing is applied;
//   * destroying an uncommitted Transaction drops it: nothing changes, so after a crash or a
//     failed ack the same ciphertext can be decrypted again.
// A SQL implementation opens one DB transaction in commit(), writes the overlay rows, runs the
// hooks on the same connection (so the caller's own rows land in the same DB transaction) and
// commits; `OverlayTransaction` below implements the buffering so a backend only writes
// `apply()`.
//
// Transactions are not isolated from each other: two transactions open on the same device
// state may overwrite each other's writes (last commit wins). The client therefore runs at most
// one Signal operation per device at a time (it processes a connection's stanzas in order).
//
// Values are opaque byte records (libsignal's serialized session / pre-key / signed pre-key /
// sender-key records; identities are raw 32-byte Curve25519 public keys). Keys are strings and
// integers, so a SQL layer can keep them as text / base64 columns.
//
// Threading and blocking: store calls may block (a SQL backend does disk I/O). The client never
// calls them on its network thread directly; it routes them through the executor the gateway
// supplies. Implementations must be safe to call from any thread (InMemoryStore uses a mutex).
// A Transaction object itself is used by one thread at a time.
//
// Errors: every call returns Status/Result; a missing record is not an error (std::nullopt).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wa::store {

// A Signal protocol address: `name` is "user", "user_1" (LID), "user_128" (hosted) or
// "user_129" (hosted LID); `device_id` is the WhatsApp device number. See wa/signal/address.h.
struct SignalAddress {
  std::string name;
  uint32_t device_id = 0;

  // "name.device", the form Baileys uses as a storage key.
  std::string to_string() const { return name + "." + std::to_string(device_id); }
  friend auto operator<=>(const SignalAddress&, const SignalAddress&) = default;
};

// The storage key of a sender key: the group JID ("123@g.us") and the sender device's address.
struct SenderKeyName {
  std::string group_id;
  SignalAddress sender;

  // "group::name.device", Baileys' form.
  std::string to_string() const { return group_id + "::" + sender.to_string(); }
  friend auto operator<=>(const SenderKeyName&, const SenderKeyName&) = default;
};

// Remote identity keys (raw 32-byte public keys) by address. Trust is decided in wa/signal
// (trust on first use, accept changes), not here.
class IdentityStore {
 public:
  virtual ~IdentityStore() = default;
  virtual core::Result<std::optional<core::Bytes>> load_identity(const SignalAddress& address) = 0;
  virtual core::Status save_identity(const SignalAddress& address, core::ByteView key) = 0;
  virtual core::Status delete_identity(const SignalAddress& address) = 0;
};

// Serialized session records by address.
class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual core::Result<std::optional<core::Bytes>> load_session(const SignalAddress& address) = 0;
  virtual core::Status store_session(const SignalAddress& address, core::ByteView record) = 0;
  // Device ids that have a session under `name`, ascending.
  virtual core::Result<std::vector<uint32_t>> list_session_devices(const std::string& name) = 0;
  virtual core::Status delete_session(const SignalAddress& address) = 0;
  // Deletes every device's session under `name` (used when a contact's identity changes).
  virtual core::Status delete_all_sessions(const std::string& name);
};

// One-time pre-keys (serialized libsignal pre-key records) by 24-bit id. wa/signal removes a
// key when a pkmsg consumes it.
class PreKeyStore {
 public:
  virtual ~PreKeyStore() = default;
  virtual core::Result<std::optional<core::Bytes>> load_pre_key(uint32_t id) = 0;
  virtual core::Status store_pre_key(uint32_t id, core::ByteView record) = 0;
  virtual core::Status remove_pre_key(uint32_t id) = 0;
  // Many keys at once (an upload batch is ~800); backends may override with one bulk write.
  virtual core::Status store_pre_keys(std::span<const std::pair<uint32_t, core::Bytes>> records);
};

// Signed pre-keys by id. Old ones are kept after rotation: a pkmsg names the signed pre-key it
// was built on, which may be an older one.
class SignedPreKeyStore {
 public:
  virtual ~SignedPreKeyStore() = default;
  virtual core::Result<std::optional<core::Bytes>> load_signed_pre_key(uint32_t id) = 0;
  virtual core::Status store_signed_pre_key(uint32_t id, core::ByteView record) = 0;
  virtual core::Status remove_signed_pre_key(uint32_t id) = 0;
  // Ids ascending (for pruning very old keys).
  virtual core::Result<std::vector<uint32_t>> list_signed_pre_keys() = 0;
};

// Serialized sender-key records by (group, sender address).
class SenderKeyStore {
 public:
  virtual ~SenderKeyStore() = default;
  virtual core::Result<std::optional<core::Bytes>> load_sender_key(const SenderKeyName& name) = 0;
  virtual core::Status store_sender_key(const SenderKeyName& name, core::ByteView record) = 0;
  virtual core::Status delete_sender_key(const SenderKeyName& name) = 0;
};

// All Signal state kinds together: what wa/signal reads and writes during one operation.
class SignalData : public IdentityStore,
                   public SessionStore,
                   public PreKeyStore,
                   public SignedPreKeyStore,
                   public SenderKeyStore {};

// A unit of work: see the file comment. Reads through, buffers writes, commits all or nothing.
class Transaction : public SignalData {
 public:
  // Runs inside commit(), after the buffered writes are staged and before they become visible
  // / durable. An error aborts the commit (nothing is applied) and is returned by commit().
  // SQL backends run hooks on the connection holding the open DB transaction.
  using CommitHook = std::function<core::Status()>;

  virtual void add_commit_hook(CommitHook hook) = 0;
  // Applies everything; afterwards the transaction is spent (FailedPrecondition on reuse).
  virtual core::Status commit() = 0;
  // True while nothing was written.
  virtual bool empty() const = 0;
};

// The backing Signal state. Direct calls are single atomic writes (fine for set-up work such as
// storing a fresh pre-key batch); protocol operations use begin().
class SignalStore : public SignalData {
 public:
  virtual std::unique_ptr<Transaction> begin() = 0;
};

// The buffered writes of a transaction, keyed like the stores; std::nullopt means "delete".
struct SignalWriteSet {
  std::map<SignalAddress, std::optional<core::Bytes>> identities;
  std::map<SignalAddress, std::optional<core::Bytes>> sessions;
  std::map<uint32_t, std::optional<core::Bytes>> pre_keys;
  std::map<uint32_t, std::optional<core::Bytes>> signed_pre_keys;
  std::map<SenderKeyName, std::optional<core::Bytes>> sender_keys;

  bool empty() const {
    return identities.empty() && sessions.empty() && pre_keys.empty() && signed_pre_keys.empty() &&
           sender_keys.empty();
  }
};

// The write-buffer overlay over any backing SignalData. A backend derives from it and
// implements apply(): write every entry of `writes` and run `hooks` as one atomic step.
// The backing object must outlive the transaction.
class OverlayTransaction : public Transaction {
 public:
  explicit OverlayTransaction(SignalData& backing) : backing_(backing) {}

  core::Result<std::optional<core::Bytes>> load_identity(const SignalAddress& address) override;
  core::Status save_identity(const SignalAddress& address, core::ByteView key) override;
  core::Status delete_identity(const SignalAddress& address) override;

  core::Result<std::optional<core::Bytes>> load_session(const SignalAddress& address) override;
  core::Status store_session(const SignalAddress& address, core::ByteView record) override;
  core::Result<std::vector<uint32_t>> list_session_devices(const std::string& name) override;
  core::Status delete_session(const SignalAddress& address) override;

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

  void add_commit_hook(CommitHook hook) override;
  core::Status commit() final;
  bool empty() const override { return writes_.empty() && hooks_.empty(); }

  const SignalWriteSet& writes() const { return writes_; }

 protected:
  virtual core::Status apply(const SignalWriteSet& writes, std::vector<CommitHook>& hooks) = 0;

 private:
  core::Status check_open() const;

  SignalData& backing_;
  SignalWriteSet writes_;
  std::vector<CommitHook> hooks_;
  bool done_ = false;
};

}  // namespace wa::store
