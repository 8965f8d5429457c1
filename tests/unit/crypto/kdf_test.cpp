#include <gtest/gtest.h>

#include "crypto/hmac.h"
#include "crypto/kdf.h"
#include "tests/unit/crypto/test_hex.h"

namespace crypto {
namespace {

using testing::hex;
using testing::range;
using testing::repeat;
using testing::to_hex;

// RFC 5869 appendix A.1.
TEST(HkdfTest, Rfc5869Case1) {
  auto okm = hkdf_sha256(repeat(0x0b, 22), range(0x00, 0x0c), range(0xf0, 0xf9), 42);
  ASSERT_TRUE(okm.ok()) << okm.status().to_string();
  EXPECT_EQ(to_hex(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

// RFC 5869 appendix A.2: 80-byte inputs, 82-byte output (three HMAC blocks).
TEST(HkdfTest, Rfc5869Case2) {
  auto okm = hkdf_sha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
  ASSERT_TRUE(okm.ok()) << okm.status().to_string();
  EXPECT_EQ(to_hex(*okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

// RFC 5869 appendix A.3: empty salt and info.
TEST(HkdfTest, Rfc5869Case3EmptySaltAndInfo) {
  auto okm = hkdf_sha256(repeat(0x0b, 22), {}, {}, 42);
  ASSERT_TRUE(okm.ok()) << okm.status().to_string();
  EXPECT_EQ(to_hex(*okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
  // "Not provided" salt means HashLen zeros.
  auto explicit_zero = hkdf_sha256(repeat(0x0b, 22), repeat(0, 32), {}, 42);
  ASSERT_TRUE(explicit_zero.ok());
  EXPECT_EQ(*okm, *explicit_zero);
}

TEST(HkdfTest, MatchesHmacConstruction) {
  // RFC 5869 §2: PRK = HMAC(salt, IKM); T(1) = HMAC(PRK, info ‖ 0x01).
  const auto ikm = core::to_bytes("input key material");
  const auto salt = core::to_bytes("salt");
  const auto info = core::to_bytes("info");
  core::Bytes prk = hmac_sha256(salt, ikm);
  core::Bytes t1 = hmac_sha256(prk, core::concat({info, hex("01")}));
  auto okm = hkdf_sha256(ikm, salt, info, 32);
  ASSERT_TRUE(okm.ok());
  EXPECT_EQ(*okm, t1);
  // A shorter output is a prefix.
  auto short_okm = hkdf_sha256(ikm, salt, info, 5);
  ASSERT_TRUE(short_okm.ok());
  EXPECT_EQ(*short_okm, core::Bytes(t1.begin(), t1.begin() + 5));
}

TEST(HkdfTest, EmptyIkmIsAccepted) {
  auto okm = hkdf_sha256({}, core::as_view("salt"), {}, 32);
  ASSERT_TRUE(okm.ok()) << okm.status().to_string();
  core::Bytes prk = hmac_sha256(core::as_view("salt"), {});
  EXPECT_EQ(*okm, hmac_sha256(prk, hex("01")));
}

TEST(HkdfTest, LengthLimits) {
  auto max = hkdf_sha256(core::as_view("k"), {}, {}, 255 * 32);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->size(), 255u * 32u);
  auto too_long = hkdf_sha256(core::as_view("k"), {}, {}, 255 * 32 + 1);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), core::StatusCode::kOutOfRange);
  auto empty = hkdf_sha256(core::as_view("k"), {}, {}, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// RFC 7914 §11 (PBKDF2-HMAC-SHA256 vectors).
TEST(Pbkdf2Test, Rfc7914) {
  auto dk = pbkdf2_sha256(core::as_view("passwd"), core::as_view("salt"), 1, 64);
  ASSERT_TRUE(dk.ok()) << dk.status().to_string();
  EXPECT_EQ(to_hex(*dk),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  auto dk2 = pbkdf2_sha256(core::as_view("Password"), core::as_view("NaCl"), 80000, 64);
  ASSERT_TRUE(dk2.ok()) << dk2.status().to_string();
  EXPECT_EQ(to_hex(*dk2),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST(Pbkdf2Test, RejectsZeroIterations) {
  auto dk = pbkdf2_sha256(core::as_view("p"), core::as_view("s"), 0, 32);
  ASSERT_FALSE(dk.ok());
  EXPECT_EQ(dk.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(Pbkdf2Test, EmptyPasswordAndSalt) {
  auto dk = pbkdf2_sha256({}, {}, 2, 32);
  ASSERT_TRUE(dk.ok()) << dk.status().to_string();
  // One block: U1 = HMAC(P, S ‖ INT(1)), U2 = HMAC(P, U1), T = U1 xor U2.
  core::Bytes u1 = hmac_sha256({}, hex("00000001"));
  core::Bytes u2 = hmac_sha256({}, u1);
  for (size_t i = 0; i < u1.size(); ++i) u1[i] ^= u2[i];
  EXPECT_EQ(*dk, u1);
}

}  // namespace
}  // namespace crypto
