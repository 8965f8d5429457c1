#include "crypto/curve25519.h"

#include <curve.h>
#include <signal_protocol.h>
#include <sodium.h>

#include <algorithm>
#include <string>

#include "crypto/internal/sodium.h"
#include "crypto/signal_provider.h"
#include "crypto/util.h"

namespace crypto {
namespace {

constexpr uint8_t kDjbType = 0x05;  // Signal's key-type prefix for Curve25519 public keys

void clamp(std::array<uint8_t, 32>& k) {
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
}

// Owns one reference to a libsignal object and drops it on scope exit.
template <typename T>
struct SignalRef {
  T* ptr = nullptr;
  SignalRef() = default;
  SignalRef(const SignalRef&) = delete;
  SignalRef& operator=(const SignalRef&) = delete;
  ~SignalRef() {
    if (ptr != nullptr) SIGNAL_UNREF(ptr);
  }
};

struct SignalBufferOwner {
  signal_buffer* ptr = nullptr;
  SignalBufferOwner() = default;
  SignalBufferOwner(const SignalBufferOwner&) = delete;
  SignalBufferOwner& operator=(const SignalBufferOwner&) = delete;
  ~SignalBufferOwner() {
    if (ptr != nullptr) signal_buffer_free(ptr);
  }
};

const uint8_t* message_ptr(core::ByteView message) {
  static const uint8_t kEmpty = 0;
  return message.empty() ? &kEmpty : message.data();
}

KeyPair from_clamped(const std::array<uint8_t, 32>& clamped) {
  KeyPair kp;
  kp.private_key = clamped;
  internal::ensure_sodium();
  // Cannot fail for a clamped scalar: the result is a multiple of the base point of prime order.
  crypto_scalarmult_base(kp.public_key.data(), kp.private_key.data());
  return kp;
}

}  // namespace

KeyPair generate_key_pair(core::Random& random) {
  std::array<uint8_t, 32> k{};
  random.fill(k);
  clamp(k);
  KeyPair kp = from_clamped(k);
  secure_wipe(k);
  return kp;
}

core::Result<KeyPair> key_pair_from_private(core::ByteView private_key) {
  if (private_key.size() != kCurveKeySize) {
    return core::Status::invalid_argument("Curve25519 private key must be 32 bytes");
  }
  std::array<uint8_t, 32> k{};
  std::copy(private_key.begin(), private_key.end(), k.begin());
  clamp(k);
  KeyPair kp = from_clamped(k);
  secure_wipe(k);
  return kp;
}

core::Result<core::Bytes> x25519(core::ByteView private_key, core::ByteView public_key) {
  if (private_key.size() != kCurveKeySize || public_key.size() != kCurveKeySize) {
    return core::Status::invalid_argument("X25519 keys must be 32 bytes");
  }
  internal::ensure_sodium();
  core::Bytes shared(kCurveKeySize);
  // libsodium already fails on an all-zero result; the explicit check keeps the guarantee
  // independent of the library version.
  if (crypto_scalarmult(shared.data(), private_key.data(), public_key.data()) != 0 ||
      sodium_is_zero(shared.data(), shared.size()) == 1) {
    return core::Status::invalid_argument("X25519: low-order public key (all-zero secret)");
  }
  return shared;
}

core::Result<core::Bytes> xeddsa_sign(core::ByteView private_key, core::ByteView message,
                                      core::Random& random) {
  if (private_key.size() != kCurveKeySize) {
    return core::Status::invalid_argument("XEdDSA private key must be 32 bytes");
  }
  // Sign with the clamped scalar so the signature matches the public key X25519 derives from
  // the same bytes, even if the caller passed an unclamped key.
  std::array<uint8_t, 32> k{};
  std::copy(private_key.begin(), private_key.end(), k.begin());
  clamp(k);

  signal_context* context = shared_signal_context();
  SignalRef<ec_private_key> key;
  int rc = curve_decode_private_point(&key.ptr, k.data(), k.size(), context);
  secure_wipe(k);
  if (rc != 0) return core::Status::internal("XEdDSA: cannot load private key");

  // curve_calculate_signature draws its 64-byte nonce from the context's provider; routing
  // that provider to `random` for this call makes signatures reproducible under FakeRandom.
  SignalBufferOwner signature;
  {
    ScopedProviderRandom scope(random);
    rc = curve_calculate_signature(context, &signature.ptr, key.ptr, message_ptr(message),
                                   message.size());
  }
  if (rc != 0 || signature.ptr == nullptr) {
    return core::Status::internal("XEdDSA: signing failed (" + std::to_string(rc) + ")");
  }
  const uint8_t* data = signal_buffer_data(signature.ptr);
  size_t len = signal_buffer_len(signature.ptr);
  if (len != kSignatureSize) return core::Status::internal("XEdDSA: unexpected signature size");
  return core::Bytes(data, data + len);
}

bool xeddsa_verify(core::ByteView public_key, core::ByteView message, core::ByteView signature) {
  if (public_key.size() != kCurveKeySize || signature.size() != kSignatureSize) return false;
  uint8_t serialized[1 + kCurveKeySize];
  serialized[0] = kDjbType;
  std::copy(public_key.begin(), public_key.end(), serialized + 1);
  SignalRef<ec_public_key> key;
  if (curve_decode_point(&key.ptr, serialized, sizeof(serialized), shared_signal_context()) != 0) {
    return false;
  }
  return curve_verify_signature(key.ptr, message_ptr(message), message.size(), signature.data(),
                                signature.size()) == 1;
}

}  // namespace crypto
