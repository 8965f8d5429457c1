// Test helper: hex literals to bytes. Aborts the test binary on a typo in a vector, which is a
// bug in the test itself rather than a behaviour under test.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/encoding.h"

namespace crypto::testing {

inline core::Bytes hex(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c != ' ') compact.push_back(c);
  }
  auto r = core::hex_decode(compact);
  if (!r.ok()) std::abort();
  return *r;
}

inline std::string to_hex(core::ByteView v) { return core::hex_encode(v); }

inline core::Bytes repeat(uint8_t b, size_t n) { return core::Bytes(n, b); }

inline core::Bytes range(uint8_t first, uint8_t last) {
  core::Bytes out;
  for (int b = first; b <= last; ++b) out.push_back(static_cast<uint8_t>(b));
  return out;
}

}  // namespace crypto::testing
