// Random: the one way code gets randomness, so tests can make key generation, message ids and
// backoff jitter reproducible with FakeRandom.
//
// Ownership: callers hold a reference to a source that outlives them.
// Threading: SecureRandom is thread-safe (kernel getrandom); FakeRandom is not — one per test.
#pragma once

#include <cstdint>
#include <span>

#include "core/bytes.h"

namespace core {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<uint8_t> out) = 0;

  Bytes bytes(size_t n) {
    Bytes b(n);
    fill(b);
    return b;
  }
  uint32_t next_u32() {
    uint8_t b[4];
    fill(b);
    return static_cast<uint32_t>(get_uint_be(b, 4));
  }
  // Uniform in [0, bound) without modulo bias; bound must be > 0.
  uint32_t uniform(uint32_t bound);
};

// Cryptographically secure bytes from the kernel (getrandom(2)).
class SecureRandom final : public Random {
 public:
  void fill(std::span<uint8_t> out) override;
  static SecureRandom& instance();
};

// Deterministic stream (SplitMix64) for tests; never use for keys in production.
class FakeRandom final : public Random {
 public:
  explicit FakeRandom(uint64_t seed = 42) : state_(seed) {}
  void fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace core
