// The OpenSSL crypto provider libsignal-protocol-c requires (random, HMAC-SHA256, SHA-512,
// AES-CBC/CTR), and a process-wide signal_context for the curve functions used by XEdDSA.
// wa/signal installs the same provider into its own per-client contexts.
//
// Threading: the shared context is created once and guarded by a recursive mutex
// (signal_context_set_locking_functions), so it may be used from any thread. The provider's
// random source is per thread: libsodium by default, or the Random a ScopedProviderRandom on
// that thread points at (so tests with FakeRandom get reproducible libsignal output).
#pragma once

struct signal_context;
struct signal_crypto_provider;

namespace core {
class Random;
}

namespace crypto {

// The provider table; pass its address to signal_context_set_crypto_provider.
const signal_crypto_provider& openssl_signal_provider();

// A lazily created context with the provider and locking installed. Never freed.
signal_context* shared_signal_context();

// While alive, the provider's random callback on the calling thread draws from `random` (which
// must outlive this object) instead of libsodium. Scopes nest; the destructor restores the
// previous source. Affects every context using this provider, but only on this thread.
class ScopedProviderRandom {
 public:
  explicit ScopedProviderRandom(core::Random& random);
  ~ScopedProviderRandom();
  ScopedProviderRandom(const ScopedProviderRandom&) = delete;
  ScopedProviderRandom& operator=(const ScopedProviderRandom&) = delete;

 private:
  core::Random* previous_;
};

}  // namespace crypto
