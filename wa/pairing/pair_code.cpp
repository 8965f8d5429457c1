#include "wa/pairing/pair_code.h"

#include "crypto/aes.h"
#include "crypto/kdf.h"

namespace wa::pairing {

std::string generate_pair_code(core::Random& random) {
  auto b = random.bytes(5);
  uint64_t v = core::get_uint_be(b, 5);
  std::string out(8, '1');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kPairCodeAlphabet[v & 31];
    v >>= 5;
  }
  return out;
}

static core::Result<core::Bytes> code_key(std::string_view code, core::ByteView salt) {
  return crypto::pbkdf2_sha256(core::as_view(code), salt, kPairCodeIterations, 32);
}

core::Result<core::Bytes> wrap_with_code(std::string_view code, core::ByteView key32,
                                         core::Random& random) {
  auto salt = random.bytes(32);
  auto iv = random.bytes(16);
  CORE_ASSIGN_OR_RETURN(auto key, code_key(code, salt));
  CORE_ASSIGN_OR_RETURN(auto ct, crypto::aes_ctr(key, iv, key32));
  return core::concat({salt, iv, ct});
}

core::Result<core::Bytes> unwrap_with_code(std::string_view code, core::ByteView wrapped) {
  if (wrapped.size() != 80) return core::Status::invalid_argument("wrapped key must be 80 bytes");
  CORE_ASSIGN_OR_RETURN(auto key, code_key(code, wrapped.subspan(0, 32)));
  return crypto::aes_ctr(key, wrapped.subspan(32, 16), wrapped.subspan(48, 32));
}

core::Result<PairCodeSession> PairCodeSession::start(core::Random& random,
                                                     std::optional<std::string> custom_code) {
  PairCodeSession s;
  if (custom_code) {
    if (custom_code->size() != 8) return core::Status::invalid_argument("pair code needs 8 chars");
    for (char c : *custom_code) {
      if (kPairCodeAlphabet.find(c) == std::string_view::npos) {
        return core::Status::invalid_argument("pair code has a character outside the alphabet");
      }
    }
    s.code_ = *custom_code;
  } else {
    s.code_ = generate_pair_code(random);
  }
  s.ephemeral_ = crypto::generate_key_pair(random);
  CORE_ASSIGN_OR_RETURN(s.wrapped_ephemeral_,
                        wrap_with_code(s.code_, s.ephemeral_.public_view(), random));
  return s;
}

core::Result<PairCodeFinish> PairCodeSession::on_primary_hello(
    core::ByteView wrapped_primary_ephemeral, core::ByteView primary_identity_pub,
    const crypto::KeyPair& companion_identity, core::Random& random) const {
  if (primary_identity_pub.size() != 32) {
    return core::Status::invalid_argument("primary identity must be 32 bytes");
  }
  CORE_ASSIGN_OR_RETURN(auto primary_eph, unwrap_with_code(code_, wrapped_primary_ephemeral));
  CORE_ASSIGN_OR_RETURN(auto eph_shared, crypto::x25519(ephemeral_.private_view(), primary_eph));
  auto salt = random.bytes(32);
  CORE_ASSIGN_OR_RETURN(
      auto bundle_key,
      crypto::hkdf_sha256(eph_shared, salt,
                          core::as_view("link_code_pairing_key_bundle_encryption_key"), 32));
  auto adv_random = random.bytes(32);
  auto plain = core::concat({companion_identity.public_view(), primary_identity_pub, adv_random});
  auto nonce = random.bytes(12);
  CORE_ASSIGN_OR_RETURN(auto sealed, crypto::aes256_gcm_encrypt(bundle_key, nonce, plain, {}));
  CORE_ASSIGN_OR_RETURN(auto id_shared,
                        crypto::x25519(companion_identity.private_view(), primary_identity_pub));
  PairCodeFinish out;
  out.wrapped_key_bundle = core::concat({salt, nonce, sealed});
  CORE_ASSIGN_OR_RETURN(out.adv_secret,
                        crypto::hkdf_sha256(core::concat({eph_shared, id_shared, adv_random}), {},
                                            core::as_view("adv_secret"), 32));
  return out;
}

}  // namespace wa::pairing
