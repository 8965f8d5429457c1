#include <gtest/gtest.h>

#include "core/random.h"
#include "crypto/curve25519.h"
#include "tests/unit/crypto/test_hex.h"

namespace crypto {
namespace {

using testing::hex;
using testing::repeat;
using testing::to_hex;

// RFC 7748 §6.1.
const core::Bytes kAlicePriv =
    hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
const char* const kAlicePub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const core::Bytes kBobPriv =
    hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
const char* const kBobPub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const char* const kShared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(X25519Test, Rfc7748AliceAndBob) {
  auto alice = key_pair_from_private(kAlicePriv);
  auto bob = key_pair_from_private(kBobPriv);
  ASSERT_TRUE(alice.ok());
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(to_hex(alice->public_view()), kAlicePub);
  EXPECT_EQ(to_hex(bob->public_view()), kBobPub);

  auto ab = x25519(kAlicePriv, hex(kBobPub));
  auto ba = x25519(bob->private_view(), alice->public_view());
  ASSERT_TRUE(ab.ok());
  ASSERT_TRUE(ba.ok());
  EXPECT_EQ(to_hex(*ab), kShared);
  EXPECT_EQ(to_hex(*ba), kShared);
}

// RFC 7748 §5.2, first X25519 vector.
TEST(X25519Test, Rfc7748Section52) {
  auto out = x25519(hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                    hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(to_hex(*out), "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

TEST(X25519Test, KeyPairFromPrivateClamps) {
  auto kp = key_pair_from_private(kAlicePriv);
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ(kp->private_key[0], kAlicePriv[0] & 248);
  EXPECT_EQ(kp->private_key[31], (kAlicePriv[31] & 127) | 64);
  for (size_t i = 1; i < 31; ++i) EXPECT_EQ(kp->private_key[i], kAlicePriv[i]);
}

TEST(X25519Test, RejectsLowOrderPointsAndBadSizes) {
  auto zero = x25519(kAlicePriv, repeat(0, 32));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), core::StatusCode::kInvalidArgument);
  core::Bytes one(32, 0);
  one[0] = 1;
  EXPECT_FALSE(x25519(kAlicePriv, one).ok());
  EXPECT_EQ(x25519(repeat(1, 31), hex(kBobPub)).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(x25519(kAlicePriv, repeat(9, 33)).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(key_pair_from_private(repeat(1, 16)).status().code(),
            core::StatusCode::kInvalidArgument);
}

TEST(X25519Test, GeneratedKeysAgreeAndAreDeterministicUnderFakeRandom) {
  core::FakeRandom r1(7), r2(7);
  KeyPair a = generate_key_pair(r1);
  KeyPair a_again = generate_key_pair(r2);
  EXPECT_EQ(a.private_key, a_again.private_key);
  EXPECT_EQ(a.public_key, a_again.public_key);
  EXPECT_EQ(a.private_key[0] & 7, 0);
  EXPECT_EQ(a.private_key[31] & 0xc0, 0x40);

  KeyPair b = generate_key_pair(r1);
  EXPECT_NE(a.private_key, b.private_key);
  auto ab = x25519(a.private_view(), b.public_view());
  auto ba = x25519(b.private_view(), a.public_view());
  ASSERT_TRUE(ab.ok());
  ASSERT_TRUE(ba.ok());
  EXPECT_EQ(*ab, *ba);
  // generate_key_pair and key_pair_from_private agree on the same bytes.
  auto rebuilt = key_pair_from_private(a.private_view());
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_EQ(rebuilt->public_key, a.public_key);
}

TEST(XEdDsaTest, SignVerifyRoundTrip) {
  core::FakeRandom random(1);
  KeyPair kp = generate_key_pair(random);
  const auto msg = core::as_view("signed pre-key bytes");
  auto sig = xeddsa_sign(kp.private_view(), msg, random);
  ASSERT_TRUE(sig.ok()) << sig.status().to_string();
  ASSERT_EQ(sig->size(), kSignatureSize);
  EXPECT_TRUE(xeddsa_verify(kp.public_view(), msg, *sig));

  EXPECT_FALSE(xeddsa_verify(kp.public_view(), core::as_view("signed pre-key bytez"), *sig));
  KeyPair other = generate_key_pair(random);
  EXPECT_FALSE(xeddsa_verify(other.public_view(), msg, *sig));
  for (size_t bit : {0u, 100u, 300u, 511u}) {
    core::Bytes bad = *sig;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(xeddsa_verify(kp.public_view(), msg, bad)) << "bit " << bit;
  }
  EXPECT_FALSE(xeddsa_verify(kp.public_view(), msg, core::ByteView(*sig).first(63)));
  EXPECT_FALSE(xeddsa_verify(kp.public_view(), msg, core::concat({*sig, testing::hex("00")})));
  EXPECT_FALSE(xeddsa_verify(core::ByteView(kp.public_key).first(31), msg, *sig));
}

TEST(XEdDsaTest, EmptyAndLongMessages) {
  core::FakeRandom random(2);
  KeyPair kp = generate_key_pair(random);
  auto empty_sig = xeddsa_sign(kp.private_view(), {}, random);
  ASSERT_TRUE(empty_sig.ok());
  EXPECT_TRUE(xeddsa_verify(kp.public_view(), {}, *empty_sig));
  core::Bytes long_msg(100000, 0x5a);
  auto long_sig = xeddsa_sign(kp.private_view(), long_msg, random);
  ASSERT_TRUE(long_sig.ok());
  EXPECT_TRUE(xeddsa_verify(kp.public_view(), long_msg, *long_sig));
  EXPECT_FALSE(xeddsa_verify(kp.public_view(), {}, *long_sig));
}

TEST(XEdDsaTest, DeterministicUnderFakeRandomAndRandomizedOtherwise) {
  core::FakeRandom key_random(3);
  KeyPair kp = generate_key_pair(key_random);
  const auto msg = core::as_view("hello");
  core::FakeRandom r1(99), r2(99), r3(100);
  auto s1 = xeddsa_sign(kp.private_view(), msg, r1);
  auto s2 = xeddsa_sign(kp.private_view(), msg, r2);
  auto s3 = xeddsa_sign(kp.private_view(), msg, r3);
  ASSERT_TRUE(s1.ok() && s2.ok() && s3.ok());
  EXPECT_EQ(*s1, *s2);
  EXPECT_NE(*s1, *s3);  // the nonce randomness really comes from the Random passed in
  EXPECT_TRUE(xeddsa_verify(kp.public_view(), msg, *s3));
}

TEST(XEdDsaTest, UnclampedPrivateKeySignsForItsX25519PublicKey) {
  auto kp = key_pair_from_private(kAlicePriv);  // kAlicePriv is not clamped
  ASSERT_TRUE(kp.ok());
  core::FakeRandom random(4);
  auto sig = xeddsa_sign(kAlicePriv, core::as_view("m"), random);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(xeddsa_verify(kp->public_view(), core::as_view("m"), *sig));
  EXPECT_EQ(xeddsa_sign(repeat(1, 31), core::as_view("m"), random).status().code(),
            core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace crypto
