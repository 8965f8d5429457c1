#include "crypto/aes.h"

#include <algorithm>
#include <climits>
#include <string>

#include "crypto/internal/openssl.h"

namespace crypto {
namespace internal {
namespace {

// EVP update calls take an int length; larger inputs go through in slices.
constexpr size_t kMaxChunk = size_t{1} << 30;

// Feeds `in` to `ctx` and appends the output at out[*written]. `out` must have room for
// in.size() plus one block.
bool update_all(EVP_CIPHER_CTX* ctx, core::ByteView in, core::Bytes& out, size_t* written) {
  while (!in.empty()) {
    size_t n = std::min(in.size(), kMaxChunk);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, out.data() + *written, &out_len, in.data(), static_cast<int>(n)) !=
        1) {
      return false;
    }
    *written += static_cast<size_t>(out_len);
    in = in.subspan(n);
  }
  return true;
}

bool add_aad(EVP_CIPHER_CTX* ctx, core::ByteView aad) {
  while (!aad.empty()) {
    size_t n = std::min(aad.size(), kMaxChunk);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, nullptr, &out_len, aad.data(), static_cast<int>(n)) != 1) {
      return false;
    }
    aad = aad.subspan(n);
  }
  return true;
}

}  // namespace

const EVP_CIPHER* aes_cipher(AesMode mode, size_t key_size) {
  switch (key_size) {
    case 16:
      return mode == AesMode::kCbcPkcs7 ? EVP_aes_128_cbc() : EVP_aes_128_ctr();
    case 24:
      return mode == AesMode::kCbcPkcs7 ? EVP_aes_192_cbc() : EVP_aes_192_ctr();
    case 32:
      return mode == AesMode::kCbcPkcs7 ? EVP_aes_256_cbc() : EVP_aes_256_ctr();
    default:
      return nullptr;
  }
}

core::Result<core::Bytes> evp_crypt(const EVP_CIPHER* cipher, core::ByteView key, core::ByteView iv,
                                    core::ByteView input, bool encrypt, bool padding) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return core::Status::internal("EVP_CIPHER_CTX_new failed");
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data(), encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), padding ? 1 : 0) != 1) {
    return core::Status::internal("AES init failed");
  }
  core::Bytes out(input.size() + static_cast<size_t>(EVP_CIPHER_block_size(cipher)));
  size_t written = 0;
  if (!update_all(ctx.get(), input, out, &written)) {
    return core::Status::internal("AES update failed");
  }
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &final_len) != 1) {
    // With padding on, the only way decryption fails here is a malformed final block.
    if (!encrypt && padding) return core::Status::unauthenticated("AES-CBC: bad padding");
    return core::Status::internal("AES final failed");
  }
  written += static_cast<size_t>(final_len);
  out.resize(written);
  return out;
}

}  // namespace internal

namespace {

constexpr size_t kAes256KeySize = 32;
constexpr size_t kGcmIvSize = 12;
constexpr size_t kBlockSize = 16;

core::Status check_size(core::ByteView v, size_t want, const char* what) {
  if (v.size() != want) {
    return core::Status::invalid_argument(std::string(what) + " must be " + std::to_string(want) +
                                          " bytes, got " + std::to_string(v.size()));
  }
  return core::Status::ok_status();
}

// Shared GCM setup: the IV length is set explicitly even though 12 is OpenSSL's default, so a
// future default change cannot silently alter the nonce.
core::Result<internal::CipherCtxPtr> gcm_ctx(core::ByteView key, core::ByteView iv, bool encrypt) {
  CORE_RETURN_IF_ERROR(check_size(key, kAes256KeySize, "AES-256-GCM key"));
  CORE_RETURN_IF_ERROR(check_size(iv, kGcmIvSize, "AES-256-GCM iv"));
  internal::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return core::Status::internal("EVP_CIPHER_CTX_new failed");
  const int enc = encrypt ? 1 : 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kGcmIvSize),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data(), enc) != 1) {
    return core::Status::internal("AES-256-GCM init failed");
  }
  return ctx;
}

}  // namespace

core::Result<core::Bytes> aes256_gcm_encrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView plaintext, core::ByteView aad) {
  CORE_ASSIGN_OR_RETURN(internal::CipherCtxPtr ctx, gcm_ctx(key, iv, true));
  if (!internal::add_aad(ctx.get(), aad)) return core::Status::internal("AES-GCM aad failed");
  core::Bytes out(plaintext.size() + kBlockSize + kAesGcmTagSize);
  size_t written = 0;
  if (!internal::update_all(ctx.get(), plaintext, out, &written)) {
    return core::Status::internal("AES-GCM encrypt failed");
  }
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &final_len) != 1) {
    return core::Status::internal("AES-GCM final failed");
  }
  written += static_cast<size_t>(final_len);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize),
                          out.data() + written) != 1) {
    return core::Status::internal("AES-GCM get tag failed");
  }
  out.resize(written + kAesGcmTagSize);
  return out;
}

core::Result<core::Bytes> aes256_gcm_decrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView ciphertext_and_tag,
                                             core::ByteView aad) {
  CORE_ASSIGN_OR_RETURN(internal::CipherCtxPtr ctx, gcm_ctx(key, iv, false));
  if (ciphertext_and_tag.size() < kAesGcmTagSize) {
    return core::Status::invalid_argument("AES-GCM input shorter than the 16-byte tag");
  }
  core::ByteView ciphertext = ciphertext_and_tag.first(ciphertext_and_tag.size() - kAesGcmTagSize);
  core::ByteView tag = ciphertext_and_tag.last(kAesGcmTagSize);
  if (!internal::add_aad(ctx.get(), aad)) return core::Status::internal("AES-GCM aad failed");
  core::Bytes out(ciphertext.size() + kBlockSize);
  size_t written = 0;
  if (!internal::update_all(ctx.get(), ciphertext, out, &written)) {
    return core::Status::internal("AES-GCM decrypt failed");
  }
  // OpenSSL only reads the expected tag, despite the non-const pointer.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAesGcmTagSize),
                          const_cast<uint8_t*>(tag.data())) != 1) {
    return core::Status::internal("AES-GCM set tag failed");
  }
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + written, &final_len) != 1) {
    return core::Status::unauthenticated("AES-GCM: authentication tag mismatch");
  }
  written += static_cast<size_t>(final_len);
  out.resize(written);
  return out;
}

core::Result<core::Bytes> aes256_cbc_encrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView plaintext) {
  CORE_RETURN_IF_ERROR(check_size(key, kAes256KeySize, "AES-256-CBC key"));
  CORE_RETURN_IF_ERROR(check_size(iv, kBlockSize, "AES-CBC iv"));
  return internal::evp_crypt(EVP_aes_256_cbc(), key, iv, plaintext, true, true);
}

core::Result<core::Bytes> aes256_cbc_decrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView ciphertext) {
  CORE_RETURN_IF_ERROR(check_size(key, kAes256KeySize, "AES-256-CBC key"));
  CORE_RETURN_IF_ERROR(check_size(iv, kBlockSize, "AES-CBC iv"));
  if (ciphertext.empty() || ciphertext.size() % kBlockSize != 0) {
    return core::Status::invalid_argument("AES-CBC ciphertext is not a non-empty multiple of 16");
  }
  return internal::evp_crypt(EVP_aes_256_cbc(), key, iv, ciphertext, false, true);
}

core::Result<core::Bytes> aes_ctr(core::ByteView key, core::ByteView iv, core::ByteView data) {
  const EVP_CIPHER* cipher = internal::aes_cipher(internal::AesMode::kCtr, key.size());
  if (cipher == nullptr) {
    return core::Status::invalid_argument("AES-CTR key must be 16, 24 or 32 bytes, got " +
                                          std::to_string(key.size()));
  }
  CORE_RETURN_IF_ERROR(check_size(iv, kBlockSize, "AES-CTR iv"));
  return internal::evp_crypt(cipher, key, iv, data, true, false);
}

}  // namespace crypto
