// Internal to sl_crypto: owning pointers for OpenSSL objects and the one EVP cipher loop shared
// by crypto/aes.cpp and the libsignal provider, so both agree byte for byte.
//
// Ownership: every EVP_*_CTX lives in a unique_ptr with its OpenSSL free function.
// Threading: pure functions; each call owns its contexts.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <memory>

#include "core/bytes.h"
#include "core/status.h"

namespace crypto::internal {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// OpenSSL reads a null data pointer as "parameter absent" in places; empty inputs point here.
inline const uint8_t* non_null(core::ByteView v) {
  static const uint8_t kEmpty = 0;
  return v.empty() ? &kEmpty : v.data();
}

// The fetched HMAC algorithm, fetched once per process (fetching is a locked table lookup).
EVP_MAC* hmac_algorithm();
// A fresh HMAC context keyed with `key` over `digest` ("SHA256", "SHA512"); null on failure.
MacCtxPtr new_hmac_ctx(const char* digest, core::ByteView key);

enum class AesMode { kCbcPkcs7, kCtr };

// The EVP cipher for `mode` with a 16/24/32-byte key; null for any other key size.
const EVP_CIPHER* aes_cipher(AesMode mode, size_t key_size);

// Runs a whole CBC/CTR encryption or decryption. Sizes must already be checked (16-byte iv, a
// key size matching `cipher`). A padding failure on decryption is Unauthenticated.
core::Result<core::Bytes> evp_crypt(const EVP_CIPHER* cipher, core::ByteView key, core::ByteView iv,
                                    core::ByteView input, bool encrypt, bool padding);

}  // namespace crypto::internal
