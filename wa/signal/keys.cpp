#include "wa/signal/keys.h"

#include <session_pre_key.h>
#include <signal_protocol.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "crypto/signal_provider.h"
#include "wa/signal/internal/libsignal_util.h"

namespace wa::signal {

namespace internal {

core::Result<SignalPtr<ec_public_key>> decode_public_key(core::ByteView key, signal_context* ctx) {
  CORE_ASSIGN_OR_RETURN(core::Bytes raw, normalize_public_key(key));
  uint8_t prefixed[33];
  prefixed[0] = kDjbKeyType;
  std::memcpy(prefixed + 1, raw.data(), 32);
  ec_public_key* out = nullptr;
  int rc = curve_decode_point(&out, prefixed, sizeof(prefixed), ctx);
  if (rc < 0 || out == nullptr) return core::Status::invalid_argument("bad Curve25519 public key");
  return SignalPtr<ec_public_key>(out);
}

core::Result<SignalPtr<ec_private_key>> decode_private_key(core::ByteView key,
                                                           signal_context* ctx) {
  if (key.size() != 32) return core::Status::invalid_argument("private key must be 32 bytes");
  ec_private_key* out = nullptr;
  int rc = curve_decode_private_point(&out, key.data(), key.size(), ctx);
  if (rc < 0 || out == nullptr) return core::Status::invalid_argument("bad Curve25519 private key");
  return SignalPtr<ec_private_key>(out);
}

core::Result<core::Bytes> raw_public_key(const ec_public_key* key) {
  signal_buffer* buf = nullptr;
  if (key == nullptr || ec_public_key_serialize(&buf, key) < 0) {
    return core::Status::internal("cannot serialize public key");
  }
  BufferPtr owned(buf);
  return from_signal_public_key(buffer_bytes(buf));
}

core::Result<core::Bytes> raw_private_key(const ec_private_key* key) {
  signal_buffer* buf = nullptr;
  if (key == nullptr || ec_private_key_serialize(&buf, key) < 0) {
    return core::Status::internal("cannot serialize private key");
  }
  BufferPtr owned(buf);
  core::Bytes out = buffer_bytes(buf);
  if (out.size() != 32) return core::Status::internal("unexpected private key size");
  return out;
}

std::string signal_error_name(int code) {
  const char* name = "SG_ERR";
  switch (code) {
    case SG_ERR_NOMEM:
      name = "SG_ERR_NOMEM";
      break;
    case SG_ERR_INVAL:
      name = "SG_ERR_INVAL";
      break;
    case SG_ERR_UNKNOWN:
      name = "SG_ERR_UNKNOWN";
      break;
    case SG_ERR_DUPLICATE_MESSAGE:
      name = "SG_ERR_DUPLICATE_MESSAGE";
      break;
    case SG_ERR_INVALID_KEY:
      name = "SG_ERR_INVALID_KEY";
      break;
    case SG_ERR_INVALID_KEY_ID:
      name = "SG_ERR_INVALID_KEY_ID";
      break;
    case SG_ERR_INVALID_MAC:
      name = "SG_ERR_INVALID_MAC";
      break;
    case SG_ERR_INVALID_MESSAGE:
      name = "SG_ERR_INVALID_MESSAGE";
      break;
    case SG_ERR_INVALID_VERSION:
      name = "SG_ERR_INVALID_VERSION";
      break;
    case SG_ERR_LEGACY_MESSAGE:
      name = "SG_ERR_LEGACY_MESSAGE";
      break;
    case SG_ERR_NO_SESSION:
      name = "SG_ERR_NO_SESSION";
      break;
    case SG_ERR_STALE_KEY_EXCHANGE:
      name = "SG_ERR_STALE_KEY_EXCHANGE";
      break;
    case SG_ERR_UNTRUSTED_IDENTITY:
      name = "SG_ERR_UNTRUSTED_IDENTITY";
      break;
    case SG_ERR_VRF_SIG_VERIF_FAILED:
      name = "SG_ERR_VRF_SIG_VERIF_FAILED";
      break;
    case SG_ERR_INVALID_PROTO_BUF:
      name = "SG_ERR_INVALID_PROTO_BUF";
      break;
    default:
      break;
  }
  return std::string(name) + " (" + std::to_string(code) + ")";
}

}  // namespace internal

using internal::BufferPtr;
using internal::SignalPtr;

core::Result<core::Bytes> to_signal_public_key(core::ByteView raw) {
  if (raw.size() != 32) return core::Status::invalid_argument("public key must be 32 bytes");
  core::Bytes out;
  out.reserve(33);
  out.push_back(kDjbKeyType);
  out.insert(out.end(), raw.begin(), raw.end());
  return out;
}

core::Result<core::Bytes> from_signal_public_key(core::ByteView prefixed) {
  if (prefixed.size() != 33 || prefixed[0] != kDjbKeyType) {
    return core::Status::invalid_argument("Signal public key must be 0x05 followed by 32 bytes");
  }
  return core::Bytes(prefixed.begin() + 1, prefixed.end());
}

core::Result<core::Bytes> normalize_public_key(core::ByteView key) {
  if (key.size() == 32) return core::to_bytes(key);
  return from_signal_public_key(key);
}

KeyPair generate_identity_key_pair(core::Random& random) {
  return crypto::generate_key_pair(random);
}

uint32_t generate_registration_id(core::Random& random) {
  return random.uniform(kMaxRegistrationId) + 1;
}

uint32_t next_pre_key_id(uint32_t id) {
  if (id == 0 || id >= kMaxPreKeyId) return 1;
  return id + 1;
}

std::vector<PreKey> generate_pre_keys(uint32_t start_id, uint32_t count, core::Random& random) {
  std::vector<PreKey> out;
  out.reserve(count);
  uint32_t id = (start_id == 0 || start_id > kMaxPreKeyId) ? 1 : start_id;
  for (uint32_t i = 0; i < count; ++i) {
    out.push_back(PreKey{id, crypto::generate_key_pair(random)});
    id = next_pre_key_id(id);
  }
  return out;
}

core::Result<SignedPreKey> generate_signed_pre_key(const KeyPair& identity, uint32_t id,
                                                   core::Random& random) {
  if (id == 0 || id > kMaxPreKeyId) {
    return core::Status::invalid_argument("signed pre-key id out of range");
  }
  SignedPreKey out;
  out.id = id;
  out.key_pair = crypto::generate_key_pair(random);
  CORE_ASSIGN_OR_RETURN(core::Bytes prefixed, to_signal_public_key(out.key_pair.public_view()));
  CORE_ASSIGN_OR_RETURN(out.signature,
                        crypto::xeddsa_sign(identity.private_view(), prefixed, random));
  return out;
}

bool verify_signed_pre_key(core::ByteView identity_public, core::ByteView pre_key_public,
                           core::ByteView signature) {
  auto identity = normalize_public_key(identity_public);
  auto pre_key = normalize_public_key(pre_key_public);
  if (!identity.ok() || !pre_key.ok()) return false;
  auto prefixed = to_signal_public_key(*pre_key);
  return prefixed.ok() && crypto::xeddsa_verify(*identity, *prefixed, signature);
}

namespace {

core::Result<SignalPtr<ec_key_pair>> to_ec_key_pair(const KeyPair& key_pair, signal_context* ctx) {
  CORE_ASSIGN_OR_RETURN(auto pub, internal::decode_public_key(key_pair.public_view(), ctx));
  CORE_ASSIGN_OR_RETURN(auto priv, internal::decode_private_key(key_pair.private_view(), ctx));
  ec_key_pair* out = nullptr;
  if (ec_key_pair_create(&out, pub.get(), priv.get()) < 0 || out == nullptr) {
    return core::Status::internal("ec_key_pair_create failed");
  }
  return SignalPtr<ec_key_pair>(out);
}

core::Result<KeyPair> from_ec_key_pair(const ec_key_pair* pair) {
  if (pair == nullptr) return core::Status::invalid_argument("record without a key pair");
  CORE_ASSIGN_OR_RETURN(core::Bytes pub, internal::raw_public_key(ec_key_pair_get_public(pair)));
  CORE_ASSIGN_OR_RETURN(core::Bytes priv, internal::raw_private_key(ec_key_pair_get_private(pair)));
  KeyPair out;
  std::copy(pub.begin(), pub.end(), out.public_key.begin());
  std::copy(priv.begin(), priv.end(), out.private_key.begin());
  return out;
}

}  // namespace

core::Result<core::Bytes> serialize_pre_key_record(const PreKey& pre_key) {
  signal_context* ctx = crypto::shared_signal_context();
  CORE_ASSIGN_OR_RETURN(auto pair, to_ec_key_pair(pre_key.key_pair, ctx));
  session_pre_key* record = nullptr;
  if (session_pre_key_create(&record, pre_key.id, pair.get()) < 0 || record == nullptr) {
    return core::Status::internal("session_pre_key_create failed");
  }
  SignalPtr<session_pre_key> owned(record);
  signal_buffer* buf = nullptr;
  if (session_pre_key_serialize(&buf, record) < 0) {
    return core::Status::internal("session_pre_key_serialize failed");
  }
  BufferPtr owned_buf(buf);
  return internal::buffer_bytes(buf);
}

core::Result<PreKey> parse_pre_key_record(core::ByteView record) {
  session_pre_key* parsed = nullptr;
  if (session_pre_key_deserialize(&parsed, record.data(), record.size(),
                                  crypto::shared_signal_context()) < 0 ||
      parsed == nullptr) {
    return core::Status::invalid_argument("bad pre-key record");
  }
  SignalPtr<session_pre_key> owned(parsed);
  PreKey out;
  out.id = session_pre_key_get_id(parsed);
  CORE_ASSIGN_OR_RETURN(out.key_pair, from_ec_key_pair(session_pre_key_get_key_pair(parsed)));
  return out;
}

core::Result<core::Bytes> serialize_signed_pre_key_record(const SignedPreKey& key,
                                                          uint64_t timestamp_ms) {
  signal_context* ctx = crypto::shared_signal_context();
  CORE_ASSIGN_OR_RETURN(auto pair, to_ec_key_pair(key.key_pair, ctx));
  session_signed_pre_key* record = nullptr;
  if (session_signed_pre_key_create(&record, key.id, timestamp_ms, pair.get(), key.signature.data(),
                                    key.signature.size()) < 0 ||
      record == nullptr) {
    return core::Status::internal("session_signed_pre_key_create failed");
  }
  SignalPtr<session_signed_pre_key> owned(record);
  signal_buffer* buf = nullptr;
  if (session_signed_pre_key_serialize(&buf, record) < 0) {
    return core::Status::internal("session_signed_pre_key_serialize failed");
  }
  BufferPtr owned_buf(buf);
  return internal::buffer_bytes(buf);
}

core::Result<SignedPreKey> parse_signed_pre_key_record(core::ByteView record) {
  session_signed_pre_key* parsed = nullptr;
  if (session_signed_pre_key_deserialize(&parsed, record.data(), record.size(),
                                         crypto::shared_signal_context()) < 0 ||
      parsed == nullptr) {
    return core::Status::invalid_argument("bad signed pre-key record");
  }
  SignalPtr<session_signed_pre_key> owned(parsed);
  SignedPreKey out;
  out.id = session_signed_pre_key_get_id(parsed);
  CORE_ASSIGN_OR_RETURN(out.key_pair,
                        from_ec_key_pair(session_signed_pre_key_get_key_pair(parsed)));
  const uint8_t* sig = session_signed_pre_key_get_signature(parsed);
  out.signature.assign(sig, sig + session_signed_pre_key_get_signature_len(parsed));
  return out;
}

core::Status save_pre_keys(store::PreKeyStore& store, std::span<const PreKey> pre_keys) {
  std::vector<std::pair<uint32_t, core::Bytes>> records;
  records.reserve(pre_keys.size());
  for (const PreKey& key : pre_keys) {
    CORE_ASSIGN_OR_RETURN(core::Bytes record, serialize_pre_key_record(key));
    records.emplace_back(key.id, std::move(record));
  }
  return store.store_pre_keys(records);
}

core::Status save_signed_pre_key(store::SignedPreKeyStore& store, const SignedPreKey& key,
                                 uint64_t timestamp_ms) {
  CORE_ASSIGN_OR_RETURN(core::Bytes record, serialize_signed_pre_key_record(key, timestamp_ms));
  return store.store_signed_pre_key(key.id, record);
}

store::CurveKeyPair to_stored(const KeyPair& key_pair) {
  return store::CurveKeyPair{key_pair.private_key, key_pair.public_key};
}

KeyPair from_stored(const store::CurveKeyPair& key_pair) {
  KeyPair out;
  out.private_key = key_pair.private_key;
  out.public_key = key_pair.public_key;
  return out;
}

store::StoredSignedPreKey to_stored(const SignedPreKey& key) {
  return store::StoredSignedPreKey{key.id, to_stored(key.key_pair), key.signature};
}

SignedPreKey from_stored(const store::StoredSignedPreKey& key) {
  return SignedPreKey{key.id, from_stored(key.key_pair), key.signature};
}

PreKeyBundle make_bundle(uint32_t registration_id, uint32_t device_id, const KeyPair& identity,
                         const SignedPreKey& signed_pre_key, const PreKey* pre_key) {
  PreKeyBundle bundle;
  bundle.registration_id = registration_id;
  bundle.device_id = device_id;
  bundle.identity_key = core::to_bytes(identity.public_view());
  bundle.signed_pre_key.id = signed_pre_key.id;
  bundle.signed_pre_key.public_key = core::to_bytes(signed_pre_key.key_pair.public_view());
  bundle.signed_pre_key.signature = signed_pre_key.signature;
  if (pre_key != nullptr) {
    bundle.pre_key = BundlePreKey{pre_key->id, core::to_bytes(pre_key->key_pair.public_view())};
  }
  return bundle;
}

}  // namespace wa::signal
