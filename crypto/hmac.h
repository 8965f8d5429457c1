// HMAC-SHA256 / HMAC-SHA512 over OpenSSL 3 (EVP_MAC), one-shot and incremental.
//
// Threading: one-shot functions are pure; an HmacSha256 object belongs to one thread.
#pragma once

#include <memory>

#include "core/bytes.h"

namespace crypto {

core::Bytes hmac_sha256(core::ByteView key, core::ByteView data);
core::Bytes hmac_sha512(core::ByteView key, core::ByteView data);

class HmacSha256 {
 public:
  explicit HmacSha256(core::ByteView key);
  ~HmacSha256();
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  void update(core::ByteView data);
  core::Bytes finish();  // 32 bytes; the object must not be used afterwards

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crypto
