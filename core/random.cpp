#include "core/random.h"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

#include "core/clock.h"

namespace core {

uint32_t Random::uniform(uint32_t bound) {
  // Rejection sampling: discard the top partial range so every value is equally likely.
  uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
  uint32_t v;
  do {
    v = next_u32();
  } while (v >= limit);
  return v % bound;
}

void SecureRandom::fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // No entropy source is not an expected failure: nothing secure can continue.
      throw std::runtime_error("getrandom failed");
    }
    done += static_cast<size_t>(n);
  }
}

SecureRandom& SecureRandom::instance() {
  static SecureRandom r;
  return r;
}

SystemClock& SystemClock::instance() {
  static SystemClock c;
  return c;
}

void FakeRandom::fill(std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); i += 8) {
    state_ += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < out.size(); ++j) out[i + j] = static_cast<uint8_t>(z >> (8 * j));
  }
}

}  // namespace core
