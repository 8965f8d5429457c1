// Helpers shared by the wa/binary unit tests.
// Threading: test-only, single-threaded.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/encoding.h"

namespace wa::binary::testing {

// Hex with optional spaces, as the test vectors are written in docs/wa-protocol.md.
inline core::Bytes unhex(std::string_view spaced) {
  std::string compact;
  for (char c : spaced) {
    if (c != ' ') compact += c;
  }
  auto bytes = core::hex_decode(compact);
  return bytes.ok() ? *bytes : core::Bytes{};
}

inline std::string hex(core::ByteView bytes) { return core::hex_encode(bytes); }

}  // namespace wa::binary::testing
