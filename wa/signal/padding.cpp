#include "wa/signal/padding.h"

#include <string>

namespace wa::signal {

core::Bytes pad(core::ByteView message, core::Random& random) {
  uint8_t r = 0;
  random.fill({&r, 1});
  const uint8_t n = static_cast<uint8_t>((r & 0x0F) + 1);
  core::Bytes out;
  out.reserve(message.size() + n);
  out.assign(message.begin(), message.end());
  out.insert(out.end(), n, n);
  return out;
}

core::Result<core::Bytes> unpad(core::ByteView padded) {
  if (padded.empty()) return core::Status::invalid_argument("unpad: empty message");
  const uint8_t n = padded.back();
  if (n == 0) return core::Status::invalid_argument("unpad: zero padding byte");
  if (n > padded.size()) {
    return core::Status::invalid_argument("unpad: padding " + std::to_string(n) +
                                          " longer than message " + std::to_string(padded.size()));
  }
  return core::Bytes(padded.begin(), padded.end() - n);
}

}  // namespace wa::signal
