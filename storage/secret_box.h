// Secrets at rest. SecretBox seals key material, device credentials, message secrets and
// webhook secrets with AES-256-GCM under a key derived by HKDF-SHA256 from the 32-byte master key
// (TOKEN_ENCRYPTION_KEY, 64 hex chars). Sealed text is "v1:" + base64(nonce ‖ ciphertext ‖ tag),
// storable in any TEXT column on every dialect; the purpose string (the table) is the AAD, so a
// value copied into another table does not open.
//
// The master key comes from TOKEN_ENCRYPTION_KEY or, when that is unset, from data/secret.key,
// which is generated once (mode 0600) on first start — never a fresh random key per boot. A
// key-check value kept in `settings` tells a wrong key apart from corrupt data at start-up.
//
// Ownership: SecretBox holds its derived key; copy freely (copies share nothing mutable).
// Threading: seal/open are const and thread-safe (randomness from core::SecureRandom, or an
// injected Random that the caller keeps alive and uses from one thread).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"

namespace storage {

inline constexpr size_t kMasterKeySize = 32;

class SecretBox {
 public:
  // master_key must be 32 bytes.
  static core::Result<SecretBox> create(core::ByteView master_key, core::Random* random = nullptr);

  std::string seal(core::ByteView plaintext, std::string_view purpose) const;
  std::string seal(std::string_view plaintext, std::string_view purpose) const {
    return seal(core::as_view(plaintext), purpose);
  }
  // Unauthenticated when the key is wrong or the value was altered; InvalidArgument when it is
  // not a sealed value at all.
  core::Result<core::Bytes> open(std::string_view sealed, std::string_view purpose) const;

  // A sealed constant; open_key_check() tells whether a stored one was made with this key.
  std::string make_key_check() const;
  bool matches_key_check(std::string_view stored) const;

 private:
  SecretBox(core::Bytes key, core::Random* random) : key_(std::move(key)), random_(random) {}
  core::Bytes key_;
  core::Random* random_;
};

// Decodes a TOKEN_ENCRYPTION_KEY value: exactly 64 hex characters.
core::Result<core::Bytes> parse_master_key(std::string_view hex);

struct MasterKey {
  core::Bytes key;         // 32 bytes
  std::string source;      // "TOKEN_ENCRYPTION_KEY" or the key file path
  bool generated = false;  // true when this call created the key file
};

// Uses `env_value` when set (must be 64 hex chars); otherwise reads `key_file`, creating it with
// a fresh random key and mode 0600 when it does not exist. A key file that is unreadable,
// malformed or readable by group/others is an error (we never silently make a new key).
core::Result<MasterKey> load_or_create_master_key(const std::optional<std::string>& env_value,
                                                  const std::filesystem::path& key_file);

// Writes `key` (hex, one line) to `key_file` atomically with mode 0600 (rotate-key).
core::Status write_key_file(const std::filesystem::path& key_file, core::ByteView key);

}  // namespace storage
