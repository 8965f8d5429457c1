#include "wa/noise/handshake_state.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/aes.h"
#include "crypto/hash.h"
#include "crypto/kdf.h"

namespace wa::noise {
namespace {

core::Bytes bytes_of(core::ByteView v) { return core::to_bytes(v); }

TEST(HandshakeState, ProtocolNameIsExactly32Bytes) {
  std::string name = "Noise_XX_25519_AESGCM_SHA256";
  ASSERT_EQ(name.size(), 28u);
  core::Bytes expected = core::to_bytes(name);
  expected.resize(32, 0);
  EXPECT_EQ(bytes_of(kNoiseProtocolName), expected);
}

TEST(HandshakeState, InitialisationUsesNameAsIsThenMixesIntroHeader) {
  HandshakeState state;
  // ck is the raw name (not hashed); h has absorbed only the 4-byte intro header.
  EXPECT_EQ(bytes_of(state.chaining_key()), bytes_of(kNoiseProtocolName));
  core::Bytes expected_h =
      crypto::sha256(core::concat({kNoiseProtocolName, core::Bytes{0x57, 0x41, 0x06, 0x03}}));
  EXPECT_EQ(bytes_of(state.hash()), expected_h);
  EXPECT_EQ(state.counter(), 0u);
}

TEST(HandshakeState, EmptyPrologueStillHashes) {
  HandshakeState state(core::ByteView{});
  EXPECT_EQ(bytes_of(state.hash()), crypto::sha256(kNoiseProtocolName));
}

TEST(HandshakeState, NonceLayout) {
  auto iv = HandshakeState::nonce(0x01020304);
  EXPECT_EQ(bytes_of(iv), (core::Bytes{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}));
}

TEST(HandshakeState, MixHashIsSha256OfHashAndData) {
  HandshakeState state;
  core::Bytes before = bytes_of(state.hash());
  core::Bytes data{1, 2, 3};
  state.mix_hash(data);
  EXPECT_EQ(bytes_of(state.hash()), crypto::sha256(core::concat({before, data})));
}

TEST(HandshakeState, MixKeyAndEncryptMatchIndependentComputation) {
  HandshakeState state;
  core::Bytes ikm(32, 0x11);
  ASSERT_TRUE(state.mix_key(ikm).ok());
  auto out = crypto::hkdf_sha256(ikm, kNoiseProtocolName, {}, 64);
  ASSERT_TRUE(out.ok());
  core::Bytes ck(out->begin(), out->begin() + 32), k(out->begin() + 32, out->end());
  EXPECT_EQ(bytes_of(state.chaining_key()), ck);
  EXPECT_EQ(state.counter(), 0u);

  core::Bytes h0 = bytes_of(state.hash());
  core::Bytes plain{'h', 'e', 'l', 'l', 'o'};
  auto c0 = state.encrypt_and_hash(plain);
  ASSERT_TRUE(c0.ok());
  auto expected0 = crypto::aes256_gcm_encrypt(k, HandshakeState::nonce(0), plain, h0);
  ASSERT_TRUE(expected0.ok());
  EXPECT_EQ(*c0, *expected0);
  EXPECT_EQ(c0->size(), plain.size() + 16);
  EXPECT_EQ(state.counter(), 1u);
  core::Bytes h1 = crypto::sha256(core::concat({h0, *c0}));
  EXPECT_EQ(bytes_of(state.hash()), h1);

  // Second message under the same key uses n = 1 and the updated h as AAD.
  auto c1 = state.encrypt_and_hash(plain);
  ASSERT_TRUE(c1.ok());
  auto expected1 = crypto::aes256_gcm_encrypt(k, HandshakeState::nonce(1), plain, h1);
  ASSERT_TRUE(expected1.ok());
  EXPECT_EQ(*c1, *expected1);

  // MixKey resets the counter.
  ASSERT_TRUE(state.mix_key(ikm).ok());
  EXPECT_EQ(state.counter(), 0u);
}

TEST(HandshakeState, DecryptMirrorsEncryptAndRejectsTampering) {
  HandshakeState a, b;
  core::Bytes ikm(32, 0x22);
  ASSERT_TRUE(a.mix_key(ikm).ok());
  ASSERT_TRUE(b.mix_key(ikm).ok());
  core::Bytes plain(48, 0x5a);
  auto c = a.encrypt_and_hash(plain);
  ASSERT_TRUE(c.ok());

  core::Bytes tampered = *c;
  tampered[3] ^= 1;
  core::Bytes h_before = bytes_of(b.hash());
  auto bad = b.decrypt_and_hash(tampered);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::StatusCode::kUnauthenticated);
  EXPECT_EQ(b.counter(), 0u);
  EXPECT_EQ(bytes_of(b.hash()), h_before);

  auto p = b.decrypt_and_hash(*c);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(*p, plain);
  EXPECT_EQ(bytes_of(a.hash()), bytes_of(b.hash()));
  EXPECT_EQ(b.counter(), 1u);
}

TEST(HandshakeState, TruncatedCiphertextFails) {
  HandshakeState state;
  ASSERT_TRUE(state.mix_key(core::Bytes(32, 1)).ok());
  EXPECT_FALSE(state.decrypt_and_hash(core::Bytes(5, 0)).ok());
  EXPECT_FALSE(state.decrypt_and_hash({}).ok());
}

TEST(HandshakeState, SplitIsHkdfOfChainingKeyWithEmptyInput) {
  HandshakeState state;
  ASSERT_TRUE(state.mix_key(core::Bytes(32, 0x33)).ok());
  auto keys = state.split();
  ASSERT_TRUE(keys.ok()) << keys.status().to_string();
  auto out = crypto::hkdf_sha256({}, state.chaining_key(), {}, 64);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(keys->first, core::Bytes(out->begin(), out->begin() + 32));
  EXPECT_EQ(keys->second, core::Bytes(out->begin() + 32, out->end()));
  EXPECT_NE(keys->first, keys->second);
}

}  // namespace
}  // namespace wa::noise
