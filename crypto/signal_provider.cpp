#include "crypto/signal_provider.h"

#include <signal_protocol.h>
#include <sodium.h>

#include <cstdlib>
#include <mutex>

#include "core/random.h"
#include "crypto/internal/openssl.h"
#include "crypto/internal/sodium.h"

// Every callback below is called from C. None may let a C++ exception escape: each body is
// wrapped in try/catch and reports failure with an SG_ERR_* code instead.

namespace crypto {
namespace {

thread_local core::Random* t_random = nullptr;

constexpr size_t kSha256Size = 32;
constexpr size_t kAesBlockSize = 16;

int random_cb(uint8_t* data, size_t len, void* /*user_data*/) noexcept {
  try {
    if (len == 0) return SG_SUCCESS;
    if (t_random != nullptr) {
      t_random->fill({data, len});
    } else {
      internal::ensure_sodium();
      randombytes_buf(data, len);
    }
    return SG_SUCCESS;
  } catch (...) {
    return SG_ERR_UNKNOWN;
  }
}

int hmac_init_cb(void** hmac_context, const uint8_t* key, size_t key_len,
                 void* /*user_data*/) noexcept {
  try {
    internal::MacCtxPtr ctx = internal::new_hmac_ctx("SHA256", {key, key_len});
    if (!ctx) return SG_ERR_NOMEM;
    *hmac_context = ctx.release();
    return SG_SUCCESS;
  } catch (...) {
    return SG_ERR_UNKNOWN;
  }
}

int hmac_update_cb(void* hmac_context, const uint8_t* data, size_t data_len,
                   void* /*user_data*/) noexcept {
  auto* ctx = static_cast<EVP_MAC_CTX*>(hmac_context);
  if (ctx == nullptr) return SG_ERR_INVAL;
  return EVP_MAC_update(ctx, data, data_len) == 1 ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

int hmac_final_cb(void* hmac_context, signal_buffer** output, void* /*user_data*/) noexcept {
  auto* ctx = static_cast<EVP_MAC_CTX*>(hmac_context);
  if (ctx == nullptr || output == nullptr) return SG_ERR_INVAL;
  uint8_t mac[kSha256Size];
  size_t len = 0;
  if (EVP_MAC_final(ctx, mac, &len, sizeof(mac)) != 1) return SG_ERR_UNKNOWN;
  signal_buffer* buffer = signal_buffer_create(mac, len);
  if (buffer == nullptr) return SG_ERR_NOMEM;
  *output = buffer;
  return SG_SUCCESS;
}

void hmac_cleanup_cb(void* hmac_context, void* /*user_data*/) noexcept {
  EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(hmac_context));
}

int sha512_init_cb(void** digest_context, void* /*user_data*/) noexcept {
  internal::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return SG_ERR_NOMEM;
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) != 1) return SG_ERR_UNKNOWN;
  *digest_context = ctx.release();
  return SG_SUCCESS;
}

int sha512_update_cb(void* digest_context, const uint8_t* data, size_t data_len,
                     void* /*user_data*/) noexcept {
  auto* ctx = static_cast<EVP_MD_CTX*>(digest_context);
  if (ctx == nullptr) return SG_ERR_INVAL;
  return EVP_DigestUpdate(ctx, data, data_len) == 1 ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

int sha512_final_cb(void* digest_context, signal_buffer** output, void* /*user_data*/) noexcept {
  auto* ctx = static_cast<EVP_MD_CTX*>(digest_context);
  if (ctx == nullptr || output == nullptr) return SG_ERR_INVAL;
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, md, &len) != 1) return SG_ERR_UNKNOWN;
  // The provider contract: after final the context is ready for a new digest (the fingerprint
  // code iterates on one context).
  if (EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) != 1) return SG_ERR_UNKNOWN;
  signal_buffer* buffer = signal_buffer_create(md, len);
  if (buffer == nullptr) return SG_ERR_NOMEM;
  *output = buffer;
  return SG_SUCCESS;
}

void sha512_cleanup_cb(void* digest_context, void* /*user_data*/) noexcept {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(digest_context));
}

int crypt_cb(bool encrypt, signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
             const uint8_t* iv, size_t iv_len, const uint8_t* input, size_t input_len) noexcept {
  try {
    if (output == nullptr || key == nullptr || iv == nullptr) return SG_ERR_INVAL;
    if (input == nullptr && input_len != 0) return SG_ERR_INVAL;
    internal::AesMode mode;
    if (cipher == SG_CIPHER_AES_CBC_PKCS5) {
      mode = internal::AesMode::kCbcPkcs7;
    } else if (cipher == SG_CIPHER_AES_CTR_NOPADDING) {
      mode = internal::AesMode::kCtr;
    } else {
      return SG_ERR_INVAL;
    }
    const EVP_CIPHER* evp = internal::aes_cipher(mode, key_len);
    if (evp == nullptr || iv_len != kAesBlockSize) return SG_ERR_INVAL;
    const bool cbc = mode == internal::AesMode::kCbcPkcs7;
    if (cbc && !encrypt && (input_len == 0 || input_len % kAesBlockSize != 0)) {
      return SG_ERR_INVAL;
    }
    core::Result<core::Bytes> result =
        internal::evp_crypt(evp, {key, key_len}, {iv, iv_len}, {input, input_len}, encrypt, cbc);
    if (!result.ok()) return SG_ERR_UNKNOWN;
    signal_buffer* buffer = signal_buffer_create(internal::non_null(*result), result->size());
    if (buffer == nullptr) return SG_ERR_NOMEM;
    *output = buffer;
    return SG_SUCCESS;
  } catch (...) {
    return SG_ERR_NOMEM;
  }
}

int encrypt_cb(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
               const uint8_t* iv, size_t iv_len, const uint8_t* plaintext, size_t plaintext_len,
               void* /*user_data*/) noexcept {
  return crypt_cb(true, output, cipher, key, key_len, iv, iv_len, plaintext, plaintext_len);
}

int decrypt_cb(signal_buffer** output, int cipher, const uint8_t* key, size_t key_len,
               const uint8_t* iv, size_t iv_len, const uint8_t* ciphertext, size_t ciphertext_len,
               void* /*user_data*/) noexcept {
  return crypt_cb(false, output, cipher, key, key_len, iv, iv_len, ciphertext, ciphertext_len);
}

// libsignal cannot report a lock failure, and continuing unlocked would corrupt shared state,
// so a throwing lock() ends the process (noexcept turns the exception into std::terminate).
void lock_cb(void* user_data) noexcept { static_cast<std::recursive_mutex*>(user_data)->lock(); }
void unlock_cb(void* user_data) noexcept {
  static_cast<std::recursive_mutex*>(user_data)->unlock();
}

signal_context* create_shared_context() {
  static std::recursive_mutex mutex;
  signal_context* context = nullptr;
  if (signal_context_create(&context, &mutex) != 0 ||
      signal_context_set_crypto_provider(context, &openssl_signal_provider()) != 0 ||
      signal_context_set_locking_functions(context, lock_cb, unlock_cb) != 0) {
    // Only reachable when out of memory at startup.
    std::abort();
  }
  return context;
}

}  // namespace

const signal_crypto_provider& openssl_signal_provider() {
  static const signal_crypto_provider provider = {
      .random_func = random_cb,
      .hmac_sha256_init_func = hmac_init_cb,
      .hmac_sha256_update_func = hmac_update_cb,
      .hmac_sha256_final_func = hmac_final_cb,
      .hmac_sha256_cleanup_func = hmac_cleanup_cb,
      .sha512_digest_init_func = sha512_init_cb,
      .sha512_digest_update_func = sha512_update_cb,
      .sha512_digest_final_func = sha512_final_cb,
      .sha512_digest_cleanup_func = sha512_cleanup_cb,
      .encrypt_func = encrypt_cb,
      .decrypt_func = decrypt_cb,
      .user_data = nullptr,
  };
  return provider;
}

signal_context* shared_signal_context() {
  static signal_context* const context = create_shared_context();
  return context;
}

ScopedProviderRandom::ScopedProviderRandom(core::Random& random) : previous_(t_random) {
  t_random = &random;
}

ScopedProviderRandom::~ScopedProviderRandom() { t_random = previous_; }

}  // namespace crypto
