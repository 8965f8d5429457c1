// SignalProtocol: pairwise sessions (X3DH + double ratchet) and group sender keys for one
// WhatsApp device, on libsignal-protocol-c 2.3.3 with our OpenSSL crypto provider.
//
// Transactions: every operation takes the wa::store::Transaction its reads and writes go
// through (libsignal's store callbacks are mapped onto it for the duration of the call). The
// caller commits the transaction together with its own record of the message (e.g. after the
// ack is durable) or drops it; a dropped decrypt leaves no trace, so the same ciphertext can be
// decrypted again. Overloads without a transaction begin one on the store, run, and commit on
// success (convenient for sends and tests).
//
// Scope: no padding (wa/signal/padding.h — the caller pads before encrypt/group_encrypt and
// unpads after decrypt), no networking, no client logic; the simulator's virtual contacts use
// the same class.
//
// Identity trust is WhatsApp's TOFU-and-accept-changes: every identity is trusted; saving a
// different key for an address replaces the old one and the operation reports
// identity_changed (first contact is not a change).
//
// Errors (the Status codes are chosen so callers can branch on them):
//   kAlreadyExists      duplicate message (already decrypted): ack it, do not retry
//   kFailedPrecondition no session / no sender key                        } needs_retry():
//   kNotFound           unknown one-time or signed pre-key id             } send a retry
//   kInvalidArgument    malformed / wrong-version / legacy message or key } receipt (§8.6)
//   kUnauthenticated    bad MAC or signature                              }
//   kPermissionDenied   untrusted identity (not produced with TOFU)       }
//   kUnavailable        the store failed: do not ack, try again later
//   kInternal           out of memory or a libsignal bug
//
// Ownership: holds a reference to the SignalStore (must outlive this object) and owns its own
// libsignal signal_context and store context.
// Threading: single-threaded — one SignalProtocol per device, used by one thread (or strand) at
// a time; store calls inside may block (see wa/store).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"
#include "wa/signal/address.h"
#include "wa/signal/keys.h"
#include "wa/store/signal_store.h"

namespace wa::signal {

// enc type attribute values.
enum class MessageType { kPreKey, kWhisper, kSenderKey };

std::string_view message_type_name(MessageType type);  // "pkmsg", "msg", "skmsg"
core::Result<MessageType> parse_message_type(std::string_view name);

struct EncryptedMessage {
  MessageType type = MessageType::kWhisper;
  core::Bytes ciphertext;
  std::string_view type_name() const { return message_type_name(type); }
};

struct Decrypted {
  core::Bytes plaintext;          // still WhatsApp-padded
  bool identity_changed = false;  // the sender's identity key replaced a different one
};

struct ProcessedBundle {
  bool identity_changed = false;
};

// The device's own Signal identity (from DeviceCredentials).
struct LocalIdentity {
  crypto::KeyPair identity_key;
  uint32_t registration_id = 0;
};

inline bool is_duplicate(const core::Status& s) {
  return s.code() == core::StatusCode::kAlreadyExists;
}
// Decryption failures that a retry receipt can fix (see the table above).
bool needs_retry(const core::Status& s);

class SignalProtocol {
 public:
  // `random`, when given, feeds libsignal's key generation during each operation (tests use a
  // FakeRandom for reproducible runs); otherwise the provider's secure default is used.
  static core::Result<std::unique_ptr<SignalProtocol>> create(store::SignalStore& store,
                                                              const LocalIdentity& identity,
                                                              core::Random* random = nullptr);
  ~SignalProtocol();
  SignalProtocol(const SignalProtocol&) = delete;
  SignalProtocol& operator=(const SignalProtocol&) = delete;

  const LocalIdentity& identity() const { return identity_; }
  store::SignalStore& store() { return store_; }

  // ---- pairwise -------------------------------------------------------------------------
  // Starts an outgoing session from a fetched bundle (verifies the signed pre-key). The next
  // encrypt to `address` yields pkmsg until the peer answers.
  core::Result<ProcessedBundle> process_bundle(store::Transaction& txn, const Address& address,
                                               const PreKeyBundle& bundle);
  // FailedPrecondition when there is no session.
  core::Result<EncryptedMessage> encrypt(store::Transaction& txn, const Address& address,
                                         core::ByteView plaintext);
  // `type` is kPreKey or kWhisper (skmsg goes to group_decrypt).
  core::Result<Decrypted> decrypt(store::Transaction& txn, const Address& address, MessageType type,
                                  core::ByteView ciphertext);
  // True when a session that can encrypt exists (reads through `data`: a store or transaction).
  core::Result<bool> has_session(store::SignalData& data, const Address& address);

  // ---- groups (sender keys) -------------------------------------------------------------
  // Creates our sender key for `group` if needed and returns the serialized
  // SenderKeyDistributionMessage for it (idempotent: same key, current iteration).
  core::Result<core::Bytes> create_sender_key_distribution(store::Transaction& txn,
                                                           std::string_view group,
                                                           const Address& own_address);
  core::Status process_sender_key_distribution(store::Transaction& txn, std::string_view group,
                                               const Address& sender, core::ByteView skdm);
  // FailedPrecondition when create_sender_key_distribution was never called for the group.
  core::Result<core::Bytes> group_encrypt(store::Transaction& txn, std::string_view group,
                                          const Address& own_address, core::ByteView plaintext);
  core::Result<core::Bytes> group_decrypt(store::Transaction& txn, std::string_view group,
                                          const Address& sender, core::ByteView ciphertext);
  core::Result<bool> has_sender_key(store::SignalData& data, std::string_view group,
                                    const Address& sender);

  // ---- auto-commit conveniences (begin → op → commit on success) -----------------------
  core::Result<ProcessedBundle> process_bundle(const Address& address, const PreKeyBundle& bundle);
  core::Result<EncryptedMessage> encrypt(const Address& address, core::ByteView plaintext);
  core::Result<Decrypted> decrypt(const Address& address, MessageType type,
                                  core::ByteView ciphertext);
  core::Result<bool> has_session(const Address& address) { return has_session(store_, address); }
  core::Result<core::Bytes> create_sender_key_distribution(std::string_view group,
                                                           const Address& own_address);
  core::Status process_sender_key_distribution(std::string_view group, const Address& sender,
                                               core::ByteView skdm);
  core::Result<core::Bytes> group_encrypt(std::string_view group, const Address& own_address,
                                          core::ByteView plaintext);
  core::Result<core::Bytes> group_decrypt(std::string_view group, const Address& sender,
                                          core::ByteView ciphertext);

  struct Impl;  // the libsignal bridge (public only so the C callbacks can reach it)

 private:
  SignalProtocol(store::SignalStore& store, const LocalIdentity& identity, core::Random* random);

  store::SignalStore& store_;
  LocalIdentity identity_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wa::signal
