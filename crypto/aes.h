// AES over OpenSSL 3: AES-256-GCM (Noise, secrets at rest), AES-256-CBC with PKCS#7 (media,
// legacy files) and AES-CTR (pairing-code key wrapping; 128/192/256-bit keys).
// Wrong key or IV sizes are InvalidArgument; a failed GCM tag or bad padding is Unauthenticated.
//
// Threading: pure functions.
#pragma once

#include "core/bytes.h"
#include "core/status.h"

namespace crypto {

constexpr size_t kAesGcmTagSize = 16;

// Returns ciphertext ‖ 16-byte tag. key 32 bytes, iv 12 bytes.
core::Result<core::Bytes> aes256_gcm_encrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView plaintext, core::ByteView aad);
// Input is ciphertext ‖ tag.
core::Result<core::Bytes> aes256_gcm_decrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView ciphertext_and_tag,
                                             core::ByteView aad);

// key 32 bytes, iv 16 bytes.
core::Result<core::Bytes> aes256_cbc_encrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView plaintext);
core::Result<core::Bytes> aes256_cbc_decrypt(core::ByteView key, core::ByteView iv,
                                             core::ByteView ciphertext);

// CTR is its own inverse. key 16/24/32 bytes, iv 16 bytes (the initial counter block).
core::Result<core::Bytes> aes_ctr(core::ByteView key, core::ByteView iv, core::ByteView data);

}  // namespace crypto
