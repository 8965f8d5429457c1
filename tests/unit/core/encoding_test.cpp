#include "core/encoding.h"

#include <gtest/gtest.h>

namespace core {
namespace {

// RFC 4648 §10 test vectors.
struct B64Case {
  const char* plain;
  const char* encoded;
};
constexpr B64Case kRfc4648[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                               {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                               {"foobar", "Zm9vYmFy"}};

TEST(EncodingTest, Base64Rfc4648Vectors) {
  for (const auto& c : kRfc4648) {
    EXPECT_EQ(base64_encode(as_view(c.plain)), c.encoded);
    auto d = base64_decode(c.encoded);
    ASSERT_TRUE(d.ok()) << c.encoded;
    EXPECT_EQ(to_string(*d), c.plain);
  }
}

TEST(EncodingTest, Base64UrlAndPadding) {
  Bytes data{0xFB, 0xFF, 0xBF};
  EXPECT_EQ(base64_encode(data), "+/+/");
  EXPECT_EQ(base64url_encode(data), "-_-_");
  Bytes two{0xFB, 0xFF};
  EXPECT_EQ(base64url_encode(two), "-_8");
  EXPECT_EQ(base64url_encode(two, true), "-_8=");
  EXPECT_EQ(*base64url_decode("-_8"), two);
  EXPECT_EQ(*base64url_decode("-_8="), two);
  EXPECT_EQ(*base64_decode("+/8"), two);  // unpadded standard input is accepted
}

TEST(EncodingTest, Base64RejectsBadInput) {
  EXPECT_FALSE(base64_decode("Zm9v!").ok());
  EXPECT_FALSE(base64_decode("Z").ok());       // impossible length
  EXPECT_FALSE(base64_decode("-_8=").ok());    // url alphabet in standard decoder
  EXPECT_FALSE(base64url_decode("+/8=").ok());
}

TEST(EncodingTest, Hex) {
  Bytes data{0x00, 0x1f, 0xAB, 0xff};
  EXPECT_EQ(hex_encode(data), "001fabff");
  EXPECT_EQ(*hex_decode("001FabFF"), data);
  EXPECT_TRUE(hex_decode("").ok());
  EXPECT_EQ(hex_decode("abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(hex_decode("zz").ok());
}

}  // namespace
}  // namespace core
