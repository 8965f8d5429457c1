#include <gtest/gtest.h>

#include "crypto/aes.h"
#include "tests/unit/crypto/test_hex.h"

namespace crypto {
namespace {

using testing::hex;
using testing::repeat;
using testing::to_hex;

// McGrew & Viega, "The Galois/Counter Mode of Operation", AES-256 test case 16 (with AAD).
const core::Bytes kGcmKey = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
const core::Bytes kGcmIv = hex("cafebabefacedbaddecaf888");
const core::Bytes kGcmPlain =
    hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
const core::Bytes kGcmAad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
const char* const kGcmCipher =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
const char* const kGcmTag = "76fc6ece0f4e1768cddf8853bb2d551b";

TEST(AesGcmTest, McGrewViegaCase16) {
  auto ct = aes256_gcm_encrypt(kGcmKey, kGcmIv, kGcmPlain, kGcmAad);
  ASSERT_TRUE(ct.ok()) << ct.status().to_string();
  EXPECT_EQ(to_hex(*ct), std::string(kGcmCipher) + kGcmTag);
  auto pt = aes256_gcm_decrypt(kGcmKey, kGcmIv, *ct, kGcmAad);
  ASSERT_TRUE(pt.ok()) << pt.status().to_string();
  EXPECT_EQ(*pt, kGcmPlain);
}

// Test cases 13 and 14: zero key and IV, empty and one-block plaintext, no AAD.
TEST(AesGcmTest, McGrewViegaCases13And14) {
  auto t13 = aes256_gcm_encrypt(repeat(0, 32), repeat(0, 12), {}, {});
  ASSERT_TRUE(t13.ok());
  EXPECT_EQ(to_hex(*t13), "530f8afbc74536b9a963b4f1c4cb738b");
  auto t14 = aes256_gcm_encrypt(repeat(0, 32), repeat(0, 12), repeat(0, 16), {});
  ASSERT_TRUE(t14.ok());
  EXPECT_EQ(to_hex(*t14), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  auto back = aes256_gcm_decrypt(repeat(0, 32), repeat(0, 12), *t13, {});
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(AesGcmTest, TamperingIsUnauthenticated) {
  auto ct = aes256_gcm_encrypt(kGcmKey, kGcmIv, kGcmPlain, kGcmAad);
  ASSERT_TRUE(ct.ok());
  for (size_t pos : {size_t{0}, ct->size() / 2, ct->size() - 1}) {
    core::Bytes bad = *ct;
    bad[pos] ^= 0x01;
    auto r = aes256_gcm_decrypt(kGcmKey, kGcmIv, bad, kGcmAad);
    ASSERT_FALSE(r.ok()) << "flipped byte " << pos;
    EXPECT_EQ(r.status().code(), core::StatusCode::kUnauthenticated);
  }
  auto wrong_aad = aes256_gcm_decrypt(kGcmKey, kGcmIv, *ct, core::as_view("other"));
  EXPECT_EQ(wrong_aad.status().code(), core::StatusCode::kUnauthenticated);
  core::Bytes wrong_key = kGcmKey;
  wrong_key[5] ^= 0x80;
  EXPECT_EQ(aes256_gcm_decrypt(wrong_key, kGcmIv, *ct, kGcmAad).status().code(),
            core::StatusCode::kUnauthenticated);
  core::Bytes truncated(ct->begin(), ct->end() - 1);
  EXPECT_EQ(aes256_gcm_decrypt(kGcmKey, kGcmIv, truncated, kGcmAad).status().code(),
            core::StatusCode::kUnauthenticated);
}

TEST(AesGcmTest, WrongSizesAreInvalidArgument) {
  EXPECT_EQ(aes256_gcm_encrypt(repeat(1, 16), kGcmIv, kGcmPlain, {}).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes256_gcm_encrypt(kGcmKey, repeat(1, 16), kGcmPlain, {}).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes256_gcm_decrypt(repeat(1, 31), kGcmIv, repeat(0, 32), {}).status().code(),
            core::StatusCode::kInvalidArgument);
  // Shorter than the tag cannot even be checked.
  EXPECT_EQ(aes256_gcm_decrypt(kGcmKey, kGcmIv, repeat(0, 15), {}).status().code(),
            core::StatusCode::kInvalidArgument);
}

// NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt) and the four-block plaintext shared by F.2/F.5.
const core::Bytes kKey256 = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const core::Bytes kCbcIv = hex("000102030405060708090a0b0c0d0e0f");
const core::Bytes kNistPlain =
    hex("6bc1bee22e409f96e93d7e117393172a"
        "ae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52ef"
        "f69f2445df4f9b17ad2b417be66c3710");

TEST(AesCbcTest, Sp80038aF25FirstBlocks) {
  auto ct = aes256_cbc_encrypt(kKey256, kCbcIv, kNistPlain);
  ASSERT_TRUE(ct.ok()) << ct.status().to_string();
  // SP 800-38A has no padding; PKCS#7 adds one whole block after the four NIST blocks.
  ASSERT_EQ(ct->size(), 80u);
  EXPECT_EQ(to_hex(core::ByteView(*ct).first(64)),
            "f58c4c04d6e5f1ba779eabfb5f7bfbd6"
            "9cfc4e967edb808d679f777bc6702c7d"
            "39f23369a9d9bacfa530e26304231461"
            "b2eb05e2c39be9fcda6c19078c6a9d1b");
  auto pt = aes256_cbc_decrypt(kKey256, kCbcIv, *ct);
  ASSERT_TRUE(pt.ok()) << pt.status().to_string();
  EXPECT_EQ(*pt, kNistPlain);
}

TEST(AesCbcTest, PaddingRoundTripAllLengths) {
  for (size_t n = 0; n <= 33; ++n) {
    core::Bytes plain(n);
    for (size_t i = 0; i < n; ++i) plain[i] = static_cast<uint8_t>(i * 7 + 1);
    auto ct = aes256_cbc_encrypt(kKey256, kCbcIv, plain);
    ASSERT_TRUE(ct.ok());
    EXPECT_EQ(ct->size(), (n / 16 + 1) * 16) << n;
    auto pt = aes256_cbc_decrypt(kKey256, kCbcIv, *ct);
    ASSERT_TRUE(pt.ok()) << n;
    EXPECT_EQ(*pt, plain);
  }
}

TEST(AesCbcTest, BadPaddingIsUnauthenticated) {
  // The unpadded NIST ciphertext decrypts to a last block ending in 0x10 that is not sixteen
  // 0x10 bytes: invalid PKCS#7.
  auto r = aes256_cbc_decrypt(kKey256, kCbcIv,
                              hex("f58c4c04d6e5f1ba779eabfb5f7bfbd6"
                                  "9cfc4e967edb808d679f777bc6702c7d"
                                  "39f23369a9d9bacfa530e26304231461"
                                  "b2eb05e2c39be9fcda6c19078c6a9d1b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kUnauthenticated);
}

TEST(AesCbcTest, MalformedInputs) {
  EXPECT_EQ(aes256_cbc_decrypt(kKey256, kCbcIv, repeat(0, 15)).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes256_cbc_decrypt(kKey256, kCbcIv, {}).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes256_cbc_encrypt(repeat(0, 16), kCbcIv, kNistPlain).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes256_cbc_encrypt(kKey256, repeat(0, 12), kNistPlain).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes256_cbc_decrypt(kKey256, repeat(0, 17), repeat(0, 16)).status().code(),
            core::StatusCode::kInvalidArgument);
}

const core::Bytes kCtrIv = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");

// SP 800-38A F.5.1 (CTR-AES128), F.5.3 (CTR-AES192), F.5.5 (CTR-AES256).
TEST(AesCtrTest, Sp80038aVectors) {
  struct Vector {
    const char* name;
    core::Bytes key;
    const char* cipher;
  };
  const std::vector<Vector> vectors = {
      {"F.5.1", hex("2b7e151628aed2a6abf7158809cf4f3c"),
       "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
       "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
      {"F.5.3", hex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"),
       "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
       "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050"},
      {"F.5.5", kKey256,
       "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
       "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
  };
  for (const auto& v : vectors) {
    auto ct = aes_ctr(v.key, kCtrIv, kNistPlain);
    ASSERT_TRUE(ct.ok()) << v.name;
    EXPECT_EQ(to_hex(*ct), v.cipher) << v.name;
    auto pt = aes_ctr(v.key, kCtrIv, *ct);
    ASSERT_TRUE(pt.ok()) << v.name;
    EXPECT_EQ(*pt, kNistPlain) << v.name;
    // A partial last block is just a truncated keystream.
    auto partial = aes_ctr(v.key, kCtrIv, core::ByteView(kNistPlain).first(21));
    ASSERT_TRUE(partial.ok());
    EXPECT_EQ(to_hex(*partial), std::string(v.cipher).substr(0, 42)) << v.name;
  }
}

TEST(AesCtrTest, WrongSizes) {
  EXPECT_EQ(aes_ctr(repeat(0, 20), kCtrIv, kNistPlain).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes_ctr({}, kCtrIv, kNistPlain).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes_ctr(kKey256, repeat(0, 12), kNistPlain).status().code(),
            core::StatusCode::kInvalidArgument);
  auto empty = aes_ctr(kKey256, kCtrIv, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace crypto
