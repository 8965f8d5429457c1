// Message digests over OpenSSL 3: SHA-256, SHA-512 (one-shot and incremental) and MD5, which
// WhatsApp still uses for the companion's build hash (not for security).
//
// Threading: one-shot functions are pure; a Sha256 object belongs to one thread.
#pragma once

#include <memory>

#include "core/bytes.h"

namespace crypto {

core::Bytes sha256(core::ByteView data);
core::Bytes sha512(core::ByteView data);
core::Bytes md5(core::ByteView data);

// Incremental SHA-256 (the Noise transcript hash is fed piece by piece).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(core::ByteView data);
  // Returns the 32-byte digest; the object must not be used afterwards.
  core::Bytes finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crypto
