#include "crypto/hmac.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <stdexcept>

#include "crypto/internal/openssl.h"

namespace crypto {
namespace internal {

EVP_MAC* hmac_algorithm() {
  // Fetched once and kept for the life of the process (static init is thread-safe).
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return mac;
}

MacCtxPtr new_hmac_ctx(const char* digest, core::ByteView key) {
  EVP_MAC* mac = hmac_algorithm();
  if (mac == nullptr) return nullptr;
  MacCtxPtr ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end(),
  };
  // A zero-length key is legal HMAC; the pointer must still be non-null for OpenSSL to set it.
  if (EVP_MAC_init(ctx.get(), non_null(key), key.size(), params) != 1) return nullptr;
  return ctx;
}

}  // namespace internal

namespace {

using internal::MacCtxPtr;

[[noreturn]] void mac_failed() { throw std::runtime_error("OpenSSL HMAC failed"); }

MacCtxPtr checked_ctx(const char* digest, core::ByteView key) {
  MacCtxPtr ctx = internal::new_hmac_ctx(digest, key);
  if (!ctx) mac_failed();
  return ctx;
}

core::Bytes finish_mac(EVP_MAC_CTX* ctx) {
  core::Bytes out(EVP_MAC_CTX_get_mac_size(ctx));
  size_t len = 0;
  if (EVP_MAC_final(ctx, out.data(), &len, out.size()) != 1) mac_failed();
  out.resize(len);
  return out;
}

core::Bytes hmac(const char* digest, core::ByteView key, core::ByteView data) {
  MacCtxPtr ctx = checked_ctx(digest, key);
  if (EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) mac_failed();
  return finish_mac(ctx.get());
}

}  // namespace

core::Bytes hmac_sha256(core::ByteView key, core::ByteView data) {
  return hmac("SHA256", key, data);
}
core::Bytes hmac_sha512(core::ByteView key, core::ByteView data) {
  return hmac("SHA512", key, data);
}

struct HmacSha256::Impl {
  MacCtxPtr ctx;
};

HmacSha256::HmacSha256(core::ByteView key)
    : impl_(std::make_unique<Impl>(Impl{checked_ctx("SHA256", key)})) {}
HmacSha256::~HmacSha256() = default;
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;

void HmacSha256::update(core::ByteView data) {
  if (!impl_) throw std::logic_error("HmacSha256 used after finish or move");
  if (EVP_MAC_update(impl_->ctx.get(), data.data(), data.size()) != 1) mac_failed();
}

core::Bytes HmacSha256::finish() {
  if (!impl_) throw std::logic_error("HmacSha256 used after finish or move");
  core::Bytes out = finish_mac(impl_->ctx.get());
  impl_.reset();
  return out;
}

}  // namespace crypto
