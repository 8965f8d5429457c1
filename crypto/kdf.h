// Key derivation: HKDF-SHA256 (RFC 5869; Noise, media keys, pairing) and PBKDF2-HMAC-SHA256
// (pairing-code key wrapping).
//
// Threading: pure functions.
#pragma once

#include <cstddef>

#include "core/bytes.h"
#include "core/status.h"

namespace crypto {

// An empty salt means HashLen zero bytes (RFC 5869 §2.2). Fails with OutOfRange when length
// exceeds 255 * 32.
core::Result<core::Bytes> hkdf_sha256(core::ByteView ikm, core::ByteView salt,
                                      core::ByteView info, size_t length);

core::Result<core::Bytes> pbkdf2_sha256(core::ByteView password, core::ByteView salt,
                                        uint32_t iterations, size_t length);

}  // namespace crypto
