#include "crypto/util.h"

#include <sodium.h>

#include <stdexcept>

#include "crypto/internal/sodium.h"

namespace crypto {
namespace internal {

void ensure_sodium() {
  // A function-local static runs sodium_init exactly once even under concurrent first calls.
  static const bool initialised = sodium_init() >= 0;
  if (!initialised) throw std::runtime_error("sodium_init failed");
}

}  // namespace internal

bool constant_time_equal(core::ByteView a, core::ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  internal::ensure_sodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

void secure_wipe(std::span<uint8_t> data) {
  if (!data.empty()) sodium_memzero(data.data(), data.size());
}

core::Bytes random_bytes(size_t n) {
  core::Bytes out(n);
  SodiumRandom::instance().fill(out);
  return out;
}

void SodiumRandom::fill(std::span<uint8_t> out) {
  internal::ensure_sodium();
  if (!out.empty()) randombytes_buf(out.data(), out.size());
}

SodiumRandom& SodiumRandom::instance() {
  static SodiumRandom r;
  return r;
}

}  // namespace crypto
