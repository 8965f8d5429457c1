// The symmetric half of Noise_XX_25519_AESGCM_SHA256 exactly as WhatsApp runs it
// (wa-protocol.md §1.4): transcript hash h, chaining key ck, cipher key k and ONE nonce counter n
// shared by encryption and decryption, reset by every MixKey. The DH steps and message layout
// live in handshake.h; this class only knows the primitives.
//
// Ownership: plain value; secrets are wiped on destruction.
// Threading: one handshake, one thread.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "core/bytes.h"
#include "core/status.h"
#include "wa/noise/frame.h"

namespace wa::noise {

// "Noise_XX_25519_AESGCM_SHA256" padded with four zero bytes to exactly 32 bytes, so it is used
// as the initial h as-is (never hashed).
constexpr std::array<uint8_t, 32> kNoiseProtocolName{
    'N', 'o', 'i', 's', 'e', '_', 'X', 'X', '_', '2', '5', '5', '1', '9', '_', 'A',
    'E', 'S', 'G', 'C', 'M', '_', 'S', 'H', 'A', '2', '5', '6', 0,   0,   0,   0};

class HandshakeState {
 public:
  // h = ck = k = kNoiseProtocolName, n = 0, then MixHash(prologue). WhatsApp's prologue is the
  // 4-byte intro header, never the ED routing prefix.
  explicit HandshakeState(core::ByteView prologue = kIntroHeader);
  ~HandshakeState();
  HandshakeState(const HandshakeState&) = default;
  HandshakeState& operator=(const HandshakeState&) = default;

  // h = SHA-256(h ‖ data).
  void mix_hash(core::ByteView data);
  // HKDF-SHA256(salt = ck, ikm, info = "", 64) → ck ‖ k; n = 0.
  core::Status mix_key(core::ByteView ikm);
  // AES-256-GCM(k, IV(n), AAD = h) → ciphertext ‖ tag; n += 1; MixHash(ciphertext ‖ tag).
  core::Result<core::Bytes> encrypt_and_hash(core::ByteView plaintext);
  // Inverse of encrypt_and_hash; a bad tag is Unauthenticated and leaves the state unchanged.
  core::Result<core::Bytes> decrypt_and_hash(core::ByteView ciphertext);
  // HKDF-SHA256(salt = ck, ikm = "", info = "", 64) → (out[0:32], out[32:64]). The first key is
  // client→server, the second server→client.
  core::Result<std::pair<core::Bytes, core::Bytes>> split() const;

  core::ByteView hash() const { return h_; }
  core::ByteView chaining_key() const { return ck_; }
  uint32_t counter() const { return n_; }

  // IV(n) = 8 zero bytes ‖ BE32(n). Shared with the transport ciphers.
  static std::array<uint8_t, 12> nonce(uint32_t n);

 private:
  std::array<uint8_t, 32> h_;
  std::array<uint8_t, 32> ck_;
  std::array<uint8_t, 32> k_;
  uint32_t n_ = 0;
};

}  // namespace wa::noise
