#include "wa/noise/handshake_state.h"

#include <algorithm>
#include <limits>

#include "crypto/aes.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"
#include "crypto/util.h"

namespace wa::noise {

HandshakeState::HandshakeState(core::ByteView prologue)
    : h_(kNoiseProtocolName), ck_(kNoiseProtocolName), k_(kNoiseProtocolName) {
  mix_hash(prologue);
}

HandshakeState::~HandshakeState() {
  crypto::secure_wipe(ck_);
  crypto::secure_wipe(k_);
}

std::array<uint8_t, 12> HandshakeState::nonce(uint32_t n) {
  std::array<uint8_t, 12> iv{};
  iv[8] = static_cast<uint8_t>(n >> 24);
  iv[9] = static_cast<uint8_t>(n >> 16);
  iv[10] = static_cast<uint8_t>(n >> 8);
  iv[11] = static_cast<uint8_t>(n);
  return iv;
}

void HandshakeState::mix_hash(core::ByteView data) {
  crypto::Sha256 hasher;
  hasher.update(h_);
  hasher.update(data);
  core::Bytes digest = hasher.finish();
  std::copy_n(digest.begin(), h_.size(), h_.begin());
}

core::Status HandshakeState::mix_key(core::ByteView ikm) {
  CORE_ASSIGN_OR_RETURN(core::Bytes out, crypto::hkdf_sha256(ikm, ck_, {}, 64));
  std::copy_n(out.begin(), 32, ck_.begin());
  std::copy_n(out.begin() + 32, 32, k_.begin());
  crypto::secure_wipe(out);
  n_ = 0;
  return core::Status();
}

core::Result<core::Bytes> HandshakeState::encrypt_and_hash(core::ByteView plaintext) {
  if (n_ == std::numeric_limits<uint32_t>::max()) {
    return core::Status::out_of_range("handshake nonce exhausted");
  }
  CORE_ASSIGN_OR_RETURN(core::Bytes ciphertext,
                        crypto::aes256_gcm_encrypt(k_, nonce(n_), plaintext, h_));
  ++n_;
  mix_hash(ciphertext);
  return ciphertext;
}

core::Result<core::Bytes> HandshakeState::decrypt_and_hash(core::ByteView ciphertext) {
  if (n_ == std::numeric_limits<uint32_t>::max()) {
    return core::Status::out_of_range("handshake nonce exhausted");
  }
  auto plaintext = crypto::aes256_gcm_decrypt(k_, nonce(n_), ciphertext, h_);
  if (!plaintext.ok()) {
    if (plaintext.status().code() == core::StatusCode::kUnauthenticated) {
      return core::Status::unauthenticated("handshake ciphertext failed authentication");
    }
    return plaintext.status().with_context("handshake decrypt");
  }
  ++n_;
  mix_hash(ciphertext);
  return std::move(plaintext).value();
}

core::Result<std::pair<core::Bytes, core::Bytes>> HandshakeState::split() const {
  CORE_ASSIGN_OR_RETURN(core::Bytes out, crypto::hkdf_sha256({}, ck_, {}, 64));
  std::pair<core::Bytes, core::Bytes> keys{core::Bytes(out.begin(), out.begin() + 32),
                                           core::Bytes(out.begin() + 32, out.end())};
  crypto::secure_wipe(out);
  return keys;
}

}  // namespace wa::noise
