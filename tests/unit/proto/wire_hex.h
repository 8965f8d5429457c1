// Test helpers for the proto tests: render a serialized message as lowercase hex and write
// expected wire bytes readably ("12 22 0a 20"). Tests only; single-threaded.
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/encoding.h"

namespace proto_test {

// Expected bytes are written with spaces between bytes for readability; compare without them.
inline std::string Hex(std::string_view spaced) {
  std::string out;
  for (char c : spaced) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

inline std::string WireHex(const google::protobuf::MessageLite& m) {
  return core::hex_encode(core::as_view(m.SerializeAsString()));
}

inline std::string Repeat(uint8_t byte, size_t n) {
  return std::string(n, static_cast<char>(byte));
}

inline std::string HexRepeat(uint8_t byte, size_t n) {
  return core::hex_encode(core::as_view(Repeat(byte, n)));
}

}  // namespace proto_test
