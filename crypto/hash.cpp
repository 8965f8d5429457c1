#include "crypto/hash.h"

#include <stdexcept>

#include "crypto/internal/openssl.h"

namespace crypto {
namespace {

using internal::MdCtxPtr;

// Digests cannot fail on valid input; a failure here means OpenSSL ran out of memory or is
// misconfigured, which no caller can handle, so it is an exception rather than a Status.
[[noreturn]] void digest_failed() { throw std::runtime_error("OpenSSL digest failed"); }

MdCtxPtr new_md_ctx(const EVP_MD* md) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) digest_failed();
  return ctx;
}

core::Bytes finish_md(EVP_MD_CTX* ctx) {
  core::Bytes out(static_cast<size_t>(EVP_MD_CTX_get_size(ctx)));
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1) digest_failed();
  out.resize(len);
  return out;
}

core::Bytes digest(const EVP_MD* md, core::ByteView data) {
  MdCtxPtr ctx = new_md_ctx(md);
  if (EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1) digest_failed();
  return finish_md(ctx.get());
}

}  // namespace

core::Bytes sha256(core::ByteView data) { return digest(EVP_sha256(), data); }
core::Bytes sha512(core::ByteView data) { return digest(EVP_sha512(), data); }
core::Bytes md5(core::ByteView data) { return digest(EVP_md5(), data); }

struct Sha256::Impl {
  MdCtxPtr ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>(Impl{new_md_ctx(EVP_sha256())})) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(core::ByteView data) {
  if (!impl_) throw std::logic_error("Sha256 used after finish or move");
  if (EVP_DigestUpdate(impl_->ctx.get(), data.data(), data.size()) != 1) digest_failed();
}

core::Bytes Sha256::finish() {
  if (!impl_) throw std::logic_error("Sha256 used after finish or move");
  core::Bytes out = finish_md(impl_->ctx.get());
  impl_.reset();
  return out;
}

}  // namespace crypto
