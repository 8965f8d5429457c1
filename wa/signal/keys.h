// Signal key material as WhatsApp uses it: identity key pairs, registration ids, one-time
// pre-keys, signed pre-keys, the 32↔33-byte public-key conversion, key bundles, and the
// libsignal records the stores keep.
//
// Wire vs. Signal form (protocol §6.1, §15 gotcha 1): nodes, QR codes and ADV carry raw 32-byte
// Curve25519 keys; libsignal uses 0x05 ‖ key (33 bytes). Everything in this header takes and
// returns raw 32-byte keys unless it says otherwise; the prefix is added and stripped here and in
// cipher.cpp only. Signed pre-key signatures are XEdDSA by the identity key over the 33-byte form.
//
// Threading: pure functions; randomness comes from the Random passed in. Record (de)serializers
// use crypto::shared_signal_context(), which is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"
#include "wa/store/device_store.h"
#include "wa/store/signal_store.h"

namespace wa::signal {

using KeyPair = crypto::KeyPair;

constexpr uint8_t kDjbKeyType = 0x05;        // Signal's Curve25519 key type byte
constexpr uint32_t kMaxPreKeyId = 0xFFFFFF;  // ids travel as 3 bytes
constexpr uint32_t kMaxRegistrationId = 16380;

// 32 → 33 bytes (0x05 ‖ key). InvalidArgument unless `raw` is 32 bytes.
core::Result<core::Bytes> to_signal_public_key(core::ByteView raw);
// 33 bytes with the 0x05 prefix → 32 bytes. InvalidArgument otherwise.
core::Result<core::Bytes> from_signal_public_key(core::ByteView prefixed);
// Liberal: accepts either form and returns the raw 32 bytes.
core::Result<core::Bytes> normalize_public_key(core::ByteView key);

KeyPair generate_identity_key_pair(core::Random& random);
// Uniform in 1..16380 (the range libsignal documents; Baileys uses 14 bits).
uint32_t generate_registration_id(core::Random& random);

struct PreKey {
  uint32_t id = 0;
  KeyPair key_pair;
};

struct SignedPreKey {
  uint32_t id = 0;
  KeyPair key_pair;
  core::Bytes signature;  // 64 bytes
};

// The id after `id` in 1..0xFFFFFF (wraps to 1).
uint32_t next_pre_key_id(uint32_t id);
// `count` fresh pre-keys with ids start, start+1, … wrapping within 1..0xFFFFFF. A start of 0 or
// above the range is treated as 1.
std::vector<PreKey> generate_pre_keys(uint32_t start_id, uint32_t count, core::Random& random);

// A new signed pre-key signed by `identity`. InvalidArgument for id 0 or above 0xFFFFFF.
core::Result<SignedPreKey> generate_signed_pre_key(const KeyPair& identity, uint32_t id,
                                                   core::Random& random);
// Verifies a signed pre-key signature (raw 32-byte keys; the signature covers 0x05 ‖ pub).
bool verify_signed_pre_key(core::ByteView identity_public, core::ByteView pre_key_public,
                           core::ByteView signature);

// libsignal records for the pre-key stores.
core::Result<core::Bytes> serialize_pre_key_record(const PreKey& pre_key);
core::Result<PreKey> parse_pre_key_record(core::ByteView record);
core::Result<core::Bytes> serialize_signed_pre_key_record(const SignedPreKey& key,
                                                          uint64_t timestamp_ms);
core::Result<SignedPreKey> parse_signed_pre_key_record(core::ByteView record);

// Serializes and stores each key (as one bulk write).
core::Status save_pre_keys(store::PreKeyStore& store, std::span<const PreKey> pre_keys);
core::Status save_signed_pre_key(store::SignedPreKeyStore& store, const SignedPreKey& key,
                                 uint64_t timestamp_ms);

// Conversions to/from the credentials' storage form.
store::CurveKeyPair to_stored(const KeyPair& key_pair);
KeyPair from_stored(const store::CurveKeyPair& key_pair);
store::StoredSignedPreKey to_stored(const SignedPreKey& key);
SignedPreKey from_stored(const store::StoredSignedPreKey& key);

// What a key fetch returns for one device (protocol §6.5). Keys may be raw 32 bytes or
// 0x05-prefixed; process_bundle validates them.
struct BundlePreKey {
  uint32_t id = 0;
  core::Bytes public_key;
};
struct BundleSignedPreKey {
  uint32_t id = 0;
  core::Bytes public_key;
  core::Bytes signature;
};
struct PreKeyBundle {
  uint32_t registration_id = 0;
  uint32_t device_id = 0;
  core::Bytes identity_key;
  BundleSignedPreKey signed_pre_key;
  std::optional<BundlePreKey> pre_key;  // absent when the server ran out of one-time keys
};

// Our own bundle, as the server would hand it out (used by tests and the simulator's contacts).
PreKeyBundle make_bundle(uint32_t registration_id, uint32_t device_id, const KeyPair& identity,
                         const SignedPreKey& signed_pre_key, const PreKey* pre_key);

}  // namespace wa::signal
