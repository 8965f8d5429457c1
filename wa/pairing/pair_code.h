// Linking by phone code (wa-protocol.md §5.3): the 8-character code the user types on the
// phone, the companion ephemeral wrapped with a PBKDF2(code)-derived AES-CTR key, and — when the
// phone answers with its wrapped ephemeral and identity — the key bundle for companion_finish
// and the new ADV secret that replaces the QR one.
//
// Threading: one session object per pairing attempt, used from the client's executor. The
// PBKDF2 (131072 iterations, ~50 ms) runs inside start() and on_primary_hello().
#pragma once

#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/curve25519.h"

namespace wa::pairing {

constexpr std::string_view kPairCodeAlphabet = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";
constexpr uint32_t kPairCodeIterations = 2u << 16;

// 5 random bytes as 8 characters of kPairCodeAlphabet.
std::string generate_pair_code(core::Random& random);

// salt(32) ‖ iv(16) ‖ AES-256-CTR(PBKDF2(code, salt), iv, key32).
core::Result<core::Bytes> wrap_with_code(std::string_view code, core::ByteView key32,
                                         core::Random& random);
core::Result<core::Bytes> unwrap_with_code(std::string_view code, core::ByteView wrapped80);

struct PairCodeFinish {
  core::Bytes wrapped_key_bundle;  // salt(32) ‖ nonce(12) ‖ GCM(ciphertext ‖ tag)
  core::Bytes adv_secret;          // 32 bytes, replaces the credentials' ADV secret
};

class PairCodeSession {
 public:
  // `custom_code` must be 8 characters of the alphabet if given.
  static core::Result<PairCodeSession> start(core::Random& random,
                                             std::optional<std::string> custom_code = {});
  const std::string& code() const { return code_; }
  // "ABCD-EFGH", as the phone shows it.
  std::string display_code() const { return code_.substr(0, 4) + "-" + code_.substr(4); }
  const core::Bytes& wrapped_companion_ephemeral() const { return wrapped_ephemeral_; }
  const crypto::KeyPair& ephemeral() const { return ephemeral_; }

  core::Result<PairCodeFinish> on_primary_hello(core::ByteView wrapped_primary_ephemeral,
                                                core::ByteView primary_identity_pub,
                                                const crypto::KeyPair& companion_identity,
                                                core::Random& random) const;

 private:
  std::string code_;
  crypto::KeyPair ephemeral_;
  core::Bytes wrapped_ephemeral_;
};

}  // namespace wa::pairing
