// Curve25519 keys as WhatsApp uses them: X25519 agreement (libsodium) and XEdDSA signatures on
// the same Montgomery keys (libsignal-protocol-c's curve functions), both on raw 32-byte keys.
// Signal's 33-byte serialization (0x05 ‖ key) is converted at the wa/signal boundary, not here.
//
// Threading: pure functions; key generation draws from the Random passed in.
#pragma once

#include <array>
#include <cstdint>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"

namespace crypto {

constexpr size_t kCurveKeySize = 32;
constexpr size_t kSignatureSize = 64;

struct KeyPair {
  std::array<uint8_t, 32> private_key{};  // clamped scalar
  std::array<uint8_t, 32> public_key{};

  core::ByteView private_view() const { return private_key; }
  core::ByteView public_view() const { return public_key; }
};

KeyPair generate_key_pair(core::Random& random);
// Clamps `private_key` (32 bytes) and derives its public key; InvalidArgument on a wrong size.
core::Result<KeyPair> key_pair_from_private(core::ByteView private_key);

// X25519(private, public) → 32-byte shared secret. Rejects wrong sizes and an all-zero result
// (a low-order peer key).
core::Result<core::Bytes> x25519(core::ByteView private_key, core::ByteView public_key);

// XEdDSA signature (64 bytes) over `message` with a Curve25519 private key.
core::Result<core::Bytes> xeddsa_sign(core::ByteView private_key, core::ByteView message,
                                      core::Random& random);
// True iff `signature` is a valid XEdDSA signature of `message` by `public_key` (32 bytes).
bool xeddsa_verify(core::ByteView public_key, core::ByteView message, core::ByteView signature);

}  // namespace crypto
