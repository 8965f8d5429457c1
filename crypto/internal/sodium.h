// Internal to sl_crypto: libsodium must be initialised (CPU feature detection, RNG setup) once
// before first use.
//
// Threading: ensure_sodium() is safe to call from any thread, any number of times.
#pragma once

namespace crypto::internal {

void ensure_sodium();

}  // namespace crypto::internal
