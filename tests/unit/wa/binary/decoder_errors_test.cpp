#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "tests/unit/wa/binary/test_util.h"
#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/binary/node.h"

namespace wa::binary {
namespace {

using core::StatusCode;
using testing::unhex;

StatusCode decode_code(std::string_view spaced_hex, const DecodeLimits& limits = {}) {
  auto result = decode_node(unhex(spaced_hex), limits);
  return result.ok() ? StatusCode::kOk : result.status().code();
}

std::vector<core::Bytes> valid_encodings() {
  Node message("message", {{"id", "3EB0C0FFEE"},
                           {"to", "123456789012345:7@lid"},
                           {"from", "@s.whatsapp.net"},
                           {"type", "text"},
                           {"note", "hello there"},
                           {"g", "1-2:3@interop"},
                           {"m", "5:6@msgr"}});
  Node& participants = message.add_child(Node("participants"));
  for (int i = 0; i < 3; ++i) {
    Node& to = participants.add_child(
        Node("to", {{"jid", "1555123456" + std::to_string(i) + "@s.whatsapp.net"}}));
    to.add_child(Node("enc", {{"v", "2"}, {"type", "pkmsg"}}, core::Bytes(300, 0x33)));
  }
  Node body("body");
  body.set_text("hi");
  return {encode_node(message), encode_node(body), encode_node(Node("xmlstreamend")),
          unhex("f805 07 11 f70007ff8615551234567f 06 f70107ff88123456789012345f")};
}

TEST(DecoderErrors, EveryTruncationIsAnError) {
  for (const core::Bytes& full : valid_encodings()) {
    ASSERT_TRUE(decode_node(full).ok());
    for (size_t len = 0; len < full.size(); ++len) {
      auto result = decode_node(core::ByteView(full).first(len));
      ASSERT_FALSE(result.ok()) << "prefix " << len << " of " << full.size();
      EXPECT_TRUE(result.status().code() == StatusCode::kInvalidArgument ||
                  result.status().code() == StatusCode::kOutOfRange)
          << result.status().to_string();
    }
  }
}

TEST(DecoderErrors, UnusedTagsAreRejected) {
  for (int t = 240; t <= 244; ++t) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", t);
    EXPECT_EQ(decode_code(std::string("f801 ") + buf), StatusCode::kInvalidArgument) << t;
    EXPECT_EQ(decode_code(std::string("f803 19 04 ") + buf), StatusCode::kInvalidArgument) << t;
    EXPECT_EQ(decode_code(std::string("f802 19 ") + buf), StatusCode::kInvalidArgument) << t;
  }
  // A list tag where a string belongs, a string tag where a list header belongs.
  EXPECT_EQ(decode_code("f801 f8"), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_code("f801 f9"), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_code("19"), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_code("fc0119"), StatusCode::kInvalidArgument);
}

TEST(DecoderErrors, TokenIndices) {
  // Every single-byte tag 1..235 and every double-byte index is a valid token; the dictionary
  // tags need their index byte.
  for (int t = 1; t <= 235; ++t) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", t);
    EXPECT_EQ(decode_code(std::string("f801 ") + buf), StatusCode::kOk) << t;
  }
  EXPECT_EQ(decode_code("f801 efff"), StatusCode::kOk);
  EXPECT_EQ(decode_code("f801 ec"), StatusCode::kInvalidArgument);
}

TEST(DecoderErrors, InvalidNodes) {
  EXPECT_EQ(decode_code(""), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_code("00"), StatusCode::kInvalidArgument);       // list size 0
  EXPECT_EQ(decode_code("f800"), StatusCode::kInvalidArgument);     // list size 0
  EXPECT_EQ(decode_code("f801 00"), StatusCode::kInvalidArgument);  // empty tag
  EXPECT_EQ(decode_code("f801 fc00"), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_code("f803 19 11 fa0000"), StatusCode::kInvalidArgument);  // empty server
  EXPECT_EQ(decode_code("f803 19 11 fa03fc00"), StatusCode::kInvalidArgument);
}

TEST(DecoderErrors, BadPackedNibbles) {
  EXPECT_EQ(decode_code("f803 19 08 ff011c"), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_code("f803 19 08 ff01d1"), StatusCode::kInvalidArgument);
  EXPECT_EQ(decode_code("f803 19 08 ff01e1"), StatusCode::kInvalidArgument);
  // Hex accepts all sixteen values.
  EXPECT_EQ(decode_code("f803 19 08 fb01ce"), StatusCode::kOk);
  // The packed length is checked against the input.
  EXPECT_EQ(decode_code("f803 19 08 ff7f12"), StatusCode::kOutOfRange);
}

TEST(DecoderErrors, OversizeLengths) {
  EXPECT_EQ(decode_code("f802 19 feffffffff"), StatusCode::kOutOfRange);
  EXPECT_EQ(decode_code("f802 19 fe7fffffff 00"), StatusCode::kOutOfRange);
  EXPECT_EQ(decode_code("f802 19 fd0fffff 00"), StatusCode::kOutOfRange);
  EXPECT_EQ(decode_code("f802 19 fc05 0102"), StatusCode::kOutOfRange);
  EXPECT_EQ(decode_code("f803 19 fe80000000 00"), StatusCode::kOutOfRange);
  // A child list or attribute list claiming more than the input can hold.
  EXPECT_EQ(decode_code("f802 19 f9ffff f80119"), StatusCode::kOutOfRange);
  EXPECT_EQ(decode_code("f9ffff 19 0404"), StatusCode::kOutOfRange);
}

TEST(DecoderErrors, DepthBomb) {
  auto nested = [](size_t depth) {
    std::string hex;
    for (size_t i = 1; i < depth; ++i) hex += "f802 19 f801 ";
    hex += "f801 19";
    return hex;
  };
  DecodeLimits limits;
  limits.max_depth = 10;
  EXPECT_EQ(decode_code(nested(10), limits), StatusCode::kOk);
  EXPECT_EQ(decode_code(nested(11), limits), StatusCode::kOutOfRange);
  EXPECT_EQ(decode_code(nested(64)), StatusCode::kOk);
  EXPECT_EQ(decode_code(nested(65)), StatusCode::kOutOfRange);
  EXPECT_EQ(decode_code(nested(5000)), StatusCode::kOutOfRange);
}

TEST(DecoderErrors, ElementLimit) {
  Node n("list");
  for (int i = 0; i < 10; ++i) n.add_child(Node("item", {{"a", "b"}}));
  core::Bytes encoded = encode_node(n);  // 1 + 10 * 2 = 21 elements
  DecodeLimits limits;
  limits.max_elements = 21;
  EXPECT_TRUE(decode_node(encoded, limits).ok());
  limits.max_elements = 20;
  EXPECT_EQ(decode_node(encoded, limits).status().code(), StatusCode::kOutOfRange);
}

TEST(DecoderErrors, JidNestingBomb) {
  std::string hex = "f803 19 11 ";
  for (int i = 0; i < 5000; ++i) hex += "fa00";
  EXPECT_EQ(decode_code(hex), StatusCode::kOutOfRange);
}

TEST(DecoderErrors, TrailingGarbage) {
  EXPECT_EQ(decode_code("f801 02 00"), StatusCode::kInvalidArgument);
  auto frame = unmarshal(unhex("00 f801 02 ff"));
  EXPECT_EQ(frame.status().code(), StatusCode::kInvalidArgument);
}

TEST(DecoderErrors, EmptyFrame) {
  EXPECT_EQ(unmarshal(core::Bytes{}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unmarshal(core::Bytes{0x00}).status().code(), StatusCode::kInvalidArgument);
}

core::Bytes compressed_frame(core::ByteView data) {
  uLongf size = compressBound(data.size());
  core::Bytes out(size + 1);
  out[0] = 0x02;
  EXPECT_EQ(compress2(out.data() + 1, &size, data.data(), data.size(), 9), Z_OK);
  out.resize(size + 1);
  return out;
}

TEST(DecoderErrors, CorruptZlib) {
  core::Bytes good = compressed_frame(encode_node(Node("iq", {{"id", "1"}})));
  ASSERT_TRUE(unmarshal(good).ok());

  core::Bytes garbage{0x02, 0x12, 0x34, 0x56, 0x78};
  EXPECT_EQ(unmarshal(garbage).status().code(), StatusCode::kInvalidArgument);

  core::Bytes flipped = good;
  flipped[flipped.size() - 1] ^= 0xFF;  // breaks the Adler-32 trailer
  EXPECT_EQ(unmarshal(flipped).status().code(), StatusCode::kInvalidArgument);

  for (size_t len = 1; len < good.size(); ++len) {
    auto result = unmarshal(core::ByteView(good).first(len));
    EXPECT_FALSE(result.ok()) << len;
  }

  core::Bytes trailing = good;
  trailing.push_back(0x00);
  EXPECT_EQ(unmarshal(trailing).status().code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(unmarshal(core::Bytes{0x02}).status().code(), StatusCode::kInvalidArgument);
}

TEST(DecoderErrors, ZlibBombBeyondLimit) {
  Node big("x");
  big.set_bytes(core::Bytes(4 << 20, 0x00));
  core::Bytes frame = compressed_frame(encode_node(big));
  EXPECT_LT(frame.size(), 10000u);
  DecodeLimits limits;
  limits.max_inflated_size = 1 << 20;
  EXPECT_EQ(unmarshal(frame, limits).status().code(), StatusCode::kOutOfRange);
  auto ok = unmarshal(frame);  // default 16 MiB limit
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(*ok, big);
}

}  // namespace
}  // namespace wa::binary
