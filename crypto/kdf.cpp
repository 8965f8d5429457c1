#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <climits>

#include "crypto/internal/openssl.h"

namespace crypto {
namespace {

constexpr size_t kSha256Size = 32;
constexpr size_t kHkdfMaxLength = 255 * kSha256Size;

EVP_KDF* hkdf_algorithm() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  return kdf;
}

void* param_data(core::ByteView v) {
  // OSSL_PARAM takes void* but only reads input parameters.
  return const_cast<uint8_t*>(internal::non_null(v));
}

}  // namespace

core::Result<core::Bytes> hkdf_sha256(core::ByteView ikm, core::ByteView salt, core::ByteView info,
                                      size_t length) {
  if (length > kHkdfMaxLength) {
    return core::Status::out_of_range("HKDF-SHA256 output longer than 255 * 32 bytes");
  }
  if (length == 0) return core::Bytes{};
  EVP_KDF* kdf = hkdf_algorithm();
  if (kdf == nullptr) return core::Status::internal("OpenSSL has no HKDF");
  internal::KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf));
  if (!ctx) return core::Status::internal("EVP_KDF_CTX_new failed");

  // An absent salt is what RFC 5869 means by "not provided" (HashLen zeros): HMAC pads a
  // short key with zeros, so OpenSSL's default and the RFC agree. Empty info is simply left out.
  OSSL_PARAM params[5];
  size_t n = 0;
  params[n++] =
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, param_data(ikm), ikm.size());
  if (!salt.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_data(salt), salt.size());
  }
  if (!info.empty()) {
    params[n++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, param_data(info), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();

  core::Bytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return core::Status::internal("HKDF-SHA256 derivation failed");
  }
  return out;
}

core::Result<core::Bytes> pbkdf2_sha256(core::ByteView password, core::ByteView salt,
                                        uint32_t iterations, size_t length) {
  if (iterations == 0) return core::Status::invalid_argument("PBKDF2 needs at least 1 iteration");
  if (iterations > INT_MAX || password.size() > INT_MAX || salt.size() > INT_MAX ||
      length > INT_MAX) {
    return core::Status::out_of_range("PBKDF2 parameter exceeds INT_MAX");
  }
  if (length == 0) return core::Bytes{};
  core::Bytes out(length);
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(internal::non_null(password)),
                        static_cast<int>(password.size()), internal::non_null(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(length), out.data()) != 1) {
    return core::Status::internal("PBKDF2-HMAC-SHA256 failed");
  }
  return out;
}

}  // namespace crypto
