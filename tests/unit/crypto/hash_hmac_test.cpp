#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "tests/unit/crypto/test_hex.h"

namespace crypto {
namespace {

using testing::hex;
using testing::repeat;
using testing::to_hex;

// FIPS 180-2 appendix examples.
TEST(HashTest, Sha256Fips180) {
  EXPECT_EQ(to_hex(sha256(core::as_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      to_hex(sha256(core::as_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(HashTest, Sha512Fips180) {
  EXPECT_EQ(to_hex(sha512(core::as_view("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(to_hex(sha512({})),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
}

// RFC 1321 appendix A.5.
TEST(HashTest, Md5Rfc1321) {
  EXPECT_EQ(to_hex(md5(core::as_view("abc"))), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(to_hex(md5({})), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(HashTest, IncrementalSha256MatchesOneShotAcrossSplits) {
  const std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (size_t split = 0; split <= msg.size(); split += 7) {
    Sha256 h;
    h.update(core::as_view(std::string_view(msg).substr(0, split)));
    h.update({});
    h.update(core::as_view(std::string_view(msg).substr(split)));
    EXPECT_EQ(to_hex(h.finish()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        << "split at " << split;
  }
}

TEST(HashTest, Sha256IsMovable) {
  Sha256 a;
  a.update(core::as_view("ab"));
  Sha256 b = std::move(a);
  b.update(core::as_view("c"));
  EXPECT_EQ(b.finish(), sha256(core::as_view("abc")));
}

struct HmacVector {
  const char* name;
  core::Bytes key;
  core::Bytes data;
  const char* sha256;
};

// RFC 4231 §4.2–4.8 (test case 5, the truncated output, is not applicable).
TEST(HmacTest, Rfc4231Sha256) {
  const std::vector<HmacVector> vectors = {
      {"1", repeat(0x0b, 20), core::to_bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"2", core::to_bytes("Jefe"), core::to_bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"3", repeat(0xaa, 20), repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4", testing::range(0x01, 0x19), repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"6", repeat(0xaa, 131),
       core::to_bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"7", repeat(0xaa, 131),
       core::to_bytes("This is a test using a larger than block-size key and a larger than "
                      "block-size data. The key needs to be hashed before being used by the "
                      "HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(to_hex(hmac_sha256(v.key, v.data)), v.sha256) << "test case " << v.name;
    HmacSha256 inc(v.key);
    const size_t half = v.data.size() / 2;
    inc.update(core::ByteView(v.data).first(half));
    inc.update(core::ByteView(v.data).subspan(half));
    EXPECT_EQ(to_hex(inc.finish()), v.sha256) << "incremental, test case " << v.name;
  }
}

TEST(HmacTest, Rfc4231Sha512) {
  EXPECT_EQ(to_hex(hmac_sha512(repeat(0x0b, 20), core::as_view("Hi There"))),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  EXPECT_EQ(
      to_hex(hmac_sha512(core::as_view("Jefe"), core::as_view("what do ya want for nothing?"))),
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST(HmacTest, EmptyKeyEqualsAllZeroBlockKey) {
  // HMAC pads keys with zeros to the block size, so "" and 64 zero bytes are the same key.
  const auto data = core::as_view("message");
  EXPECT_EQ(hmac_sha256({}, data), hmac_sha256(repeat(0, 64), data));
  EXPECT_EQ(hmac_sha256({}, {}).size(), 32u);
  EXPECT_NE(hmac_sha256({}, data), hmac_sha256(repeat(0, 65), data));
}

}  // namespace
}  // namespace crypto
