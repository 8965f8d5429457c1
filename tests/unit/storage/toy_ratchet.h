// A deterministic stand-in for a Signal receiving chain, used by the crash test: the stored
// state (chain key ‖ counter) must advance exactly once per recorded message, or the next
// message no longer decrypts — the same property a real Double Ratchet session has.
// Sender side: chain_0 = SHA-256("chain" ‖ peer), mk_n = HMAC(chain_n, 1),
// chain_{n+1} = HMAC(chain_n, 2), ciphertext_n = AES-256-GCM(mk_n, zero IV, "peer:n").
//
// Threading: pure functions.
#pragma once

#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/aes.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"

namespace storage::testing {

struct ToyState {
  core::Bytes chain;  // 32 bytes
  uint64_t counter = 0;

  core::Bytes serialize() const {
    core::Bytes out = chain;
    core::put_uint_be(out, counter, 8);
    return out;
  }
  static core::Result<ToyState> parse(core::ByteView b) {
    if (b.size() != 40) return core::Status::invalid_argument("bad toy state");
    return ToyState{core::Bytes(b.begin(), b.begin() + 32), core::get_uint_be(b.subspan(32), 8)};
  }
};

inline ToyState toy_initial(int peer) {
  return {crypto::sha256(core::as_view("chain" + std::to_string(peer))), 0};
}

inline core::Bytes toy_step(const core::Bytes& chain, uint8_t which) {
  return crypto::hmac_sha256(chain, core::ByteView(&which, 1));
}

inline std::string toy_plaintext(int peer, uint64_t n) {
  return std::to_string(peer) + ":" + std::to_string(n);
}

// The sender's ciphertext of message n (walks the chain from the start; n stays small).
inline core::Bytes toy_ciphertext(int peer, uint64_t n) {
  core::Bytes chain = toy_initial(peer).chain;
  for (uint64_t i = 0; i < n; ++i) chain = toy_step(chain, 2);
  core::Bytes iv(12, 0);
  return crypto::aes256_gcm_encrypt(toy_step(chain, 1), iv, core::as_view(toy_plaintext(peer, n)),
                                    {})
      .value();
}

// Receiver: decrypts with the stored state and returns the advanced state.
inline core::Result<std::pair<std::string, ToyState>> toy_decrypt(const ToyState& s,
                                                                  core::ByteView ciphertext) {
  core::Bytes iv(12, 0);
  auto pt = crypto::aes256_gcm_decrypt(toy_step(s.chain, 1), iv, ciphertext, {});
  if (!pt.ok()) return pt.status();
  return std::make_pair(core::to_string(*pt), ToyState{toy_step(s.chain, 2), s.counter + 1});
}

inline std::string toy_peer_jid(int peer) {
  return "1555000" + std::to_string(peer) + "@s.whatsapp.net";
}

}  // namespace storage::testing
