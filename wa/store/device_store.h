// Everything a WhatsApp device keeps besides Signal state: its credentials (keys, ids, the
// account it is paired to), the LID↔PN mapping, contacts' names and message secrets. Each kind
// is a narrow interface; `DeviceStore` bundles them with the SignalStore (signal_store.h) so a
// backend (in-memory here, SQL in storage/) implements one object per device.
//
// These writes are single atomic calls; they are not part of a Signal Transaction. A caller
// that needs one of them to land with a decrypt uses Transaction::add_commit_hook.
//
// Threading and blocking: as in signal_store.h — calls may block (SQL), the client routes them
// through the gateway's executor, implementations are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "wa/store/signal_store.h"

namespace wa::store {

// A raw Curve25519 key pair (32-byte clamped private scalar, 32-byte public key); the same
// layout as crypto::KeyPair, kept here so the store does not depend on the crypto library.
struct CurveKeyPair {
  std::array<uint8_t, 32> private_key{};
  std::array<uint8_t, 32> public_key{};
  friend bool operator==(const CurveKeyPair&, const CurveKeyPair&) = default;
};

// The device's current signed pre-key (older ones live in SignedPreKeyStore as records).
struct StoredSignedPreKey {
  uint32_t id = 0;
  CurveKeyPair key_pair;
  core::Bytes signature;  // 64-byte XEdDSA by the identity key over 0x05 ‖ public key
  friend bool operator==(const StoredSignedPreKey&, const StoredSignedPreKey&) = default;
};

// Who this device is. Created at registration, completed at pairing, saved whole.
struct DeviceCredentials {
  CurveKeyPair noise_key;             // static key of the Noise handshake
  CurveKeyPair identity_key;          // Signal identity key pair
  uint32_t registration_id = 0;       // Signal registration id (1..16380)
  StoredSignedPreKey signed_pre_key;  // current one
  core::Bytes adv_secret_key;         // 32 bytes, HMAC key for the ADV device identity
  std::string me_pn_jid;              // "user:dev@s.whatsapp.net"; empty until paired
  std::string me_lid_jid;             // "lid:dev@lid"; empty until known
  core::Bytes account;                // serialized ADVSignedDeviceIdentity from pairing
  std::string push_name;
  std::string platform;          // reported by the server at pairing ("smba", "android"…)
  uint32_t next_pre_key_id = 1;  // id the next generated pre-key gets
  uint32_t first_unuploaded_pre_key_id = 1;
  core::Bytes routing_info;  // edge_routing info from the server, sent on reconnect
  bool registered = false;   // pairing completed
  friend bool operator==(const DeviceCredentials&, const DeviceCredentials&) = default;
};

class CredentialsStore {
 public:
  virtual ~CredentialsStore() = default;
  // std::nullopt for a device that was never saved.
  virtual core::Result<std::optional<DeviceCredentials>> load_credentials() = 0;
  virtual core::Status save_credentials(const DeviceCredentials& credentials) = 0;
};

// PN user ↔ LID user (both bare user parts without device or server: "15551234567" ↔
// "123456789012345"). One LID per PN and vice versa; storing a new pair replaces both sides.
class LidMappingStore {
 public:
  virtual ~LidMappingStore() = default;
  virtual core::Status store_lid_mapping(const std::string& pn_user,
                                         const std::string& lid_user) = 0;
  virtual core::Result<std::optional<std::string>> lid_for_pn(const std::string& pn_user) = 0;
  virtual core::Result<std::optional<std::string>> pn_for_lid(const std::string& lid_user) = 0;
};

struct Contact {
  std::string jid;        // user JID without device (PN or LID form)
  std::string push_name;  // the name the contact set (notify attribute)
  std::string full_name;  // our address-book name, if any
  friend bool operator==(const Contact&, const Contact&) = default;
};

class ContactStore {
 public:
  virtual ~ContactStore() = default;
  // Inserts or replaces by jid.
  virtual core::Status upsert_contact(const Contact& contact) = 0;
  virtual core::Result<std::optional<Contact>> load_contact(const std::string& jid) = 0;
  virtual core::Result<std::vector<Contact>> list_contacts() = 0;
};

// messageContextInfo.messageSecret by message id (polls, reactions to polls, reporting tokens).
class MessageSecretStore {
 public:
  virtual ~MessageSecretStore() = default;
  virtual core::Status store_message_secret(const std::string& message_id,
                                            core::ByteView secret) = 0;
  virtual core::Result<std::optional<core::Bytes>> load_message_secret(
      const std::string& message_id) = 0;
};

// One device's whole persistent state.
class DeviceStore : public SignalStore,
                    public CredentialsStore,
                    public LidMappingStore,
                    public ContactStore,
                    public MessageSecretStore {};

}  // namespace wa::store
