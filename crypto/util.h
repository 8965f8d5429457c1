// Small security helpers: constant-time comparison, wiping secrets, and a libsodium-backed
// secure Random.
//
// Threading: pure functions; SodiumRandom is thread-safe.
#pragma once

#include <span>

#include "core/bytes.h"
#include "core/random.h"

namespace crypto {

// Compares in time that depends only on the lengths. Different lengths → false.
bool constant_time_equal(core::ByteView a, core::ByteView b);

// Overwrites memory in a way the compiler cannot optimise away.
void secure_wipe(std::span<uint8_t> data);

core::Bytes random_bytes(size_t n);

class SodiumRandom final : public core::Random {
 public:
  void fill(std::span<uint8_t> out) override;
  static SodiumRandom& instance();
};

}  // namespace crypto
