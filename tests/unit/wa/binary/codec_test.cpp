#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <stdexcept>
#include <string>

#include "tests/unit/wa/binary/test_util.h"
#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/binary/node.h"
#include "wa/binary/printer.h"
#include "wa/binary/tokens.h"

namespace wa::binary {
namespace {

using testing::hex;
using testing::unhex;

void expect_vector(const Node& node, std::string_view spaced_hex) {
  core::Bytes expected = unhex(spaced_hex);
  EXPECT_EQ(hex(marshal(node)), hex(expected)) << to_xml(node);
  auto decoded = unmarshal(expected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, node) << to_xml(*decoded);
}

// --- docs/wa-protocol.md section 3.9 ---

TEST(Vectors, PingIq) {
  Node iq("iq", {{"id", "1.2-3"}, {"to", "@s.whatsapp.net"}, {"type", "get"}, {"xmlns", "w:p"}});
  iq.add_child(Node("ping"));
  expect_vector(iq, "00 f80a 19 08 ff831b2a3f 11 fa0003 04 29 16 57 f801 f801 56");
}

TEST(Vectors, StreamEnd) { expect_vector(Node("xmlstreamend"), "00 f801 02"); }

TEST(Vectors, StreamErrorCode) {
  expect_vector(Node("stream:error", {{"code", "515"}}), "00 f803 9d 70 ff82515f");
}

TEST(Vectors, Ack) {
  Node ack("ack", {{"class", "message"},
                   {"id", "3EB0ABCD"},
                   {"from", "15557654321@s.whatsapp.net"},
                   {"t", "1700000000"}});
  expect_vector(ack,
                "00 f809 1b 15 13 08 fb043eb0abcd 06 fa ff8615557654321f 03 1a ff051700000000");
}

TEST(Vectors, ReceiptWithAdJids) {
  Node receipt("receipt",
               {{"to", "15551234567:7@s.whatsapp.net"}, {"from", "123456789012345:7@lid"}});
  expect_vector(receipt, "00 f805 07 11 f70007ff8615551234567f 06 f70107ff88123456789012345f");
}

TEST(Vectors, StringContent) {
  Node body("body");
  body.set_text("hi");
  expect_vector(body, "00 f802 ed75 fc026869");
}

TEST(Vectors, ThreeHundredByteContent) {
  Node n("enc");
  n.set_bytes(core::Bytes(300, 0xAB));
  core::Bytes out = encode_node(n);
  EXPECT_EQ(hex(core::ByteView(out).subspan(0, 7)), "f8021dfd00012c");
  EXPECT_EQ(out.size(), 7u + 300u);
}

// --- strings ---

std::string encoded_value(const std::string& value) {
  core::Bytes out = encode_node(Node("a", {{"b", value}}));
  // f8 03 <"a" fc0161> <"b" fc0162> <value>
  return hex(core::ByteView(out).subspan(8));
}

void expect_round_trip(const Node& node) {
  auto decoded = decode_node(encode_node(node));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string() << "\n" << to_xml(node);
  EXPECT_EQ(*decoded, node) << to_xml(node) << "\nvs\n" << to_xml(*decoded);
}

TEST(Strings, TokensFirst) {
  EXPECT_EQ(encoded_value("type"), "04");
  EXPECT_EQ(encoded_value("read-self"), "ec00");
  EXPECT_EQ(encoded_value("1961"), "efff");  // a double token beats nibble packing
  EXPECT_EQ(encoded_value("0"), "2d");       // single token "0"
}

TEST(Strings, EmptyIsBinary8ZeroAndKept) {
  EXPECT_EQ(encoded_value(""), "fc00");
  expect_round_trip(Node("a", {{"b", ""}, {"", "c"}}));
}

TEST(Strings, NibblePacking) {
  EXPECT_EQ(encoded_value("1234"), "ff021234");
  EXPECT_EQ(encoded_value("12345"), "ff8312345f");
  EXPECT_EQ(encoded_value("-."), "ff01ab");
  EXPECT_EQ(encoded_value("123"), "ff82123f");
  std::string max(127, '7');
  std::string hex127 = encoded_value(max);
  EXPECT_EQ(hex127.substr(0, 4), "ffc0");  // odd bit + 64 bytes
  EXPECT_EQ(hex127.size(), (2 + 64) * 2u);
  std::string too_long(128, '7');
  EXPECT_EQ(encoded_value(too_long).substr(0, 4), "fc80");  // raw, 128 bytes
  for (const auto& s : {max, too_long, std::string("1.2-3"), std::string("0000")}) {
    expect_round_trip(Node("a", {{"b", s}}));
  }
}

TEST(Strings, HexPacking) {
  EXPECT_EQ(encoded_value("3EB0ABCD"), "fb043eb0abcd");
  EXPECT_EQ(encoded_value("ABC"), "fb82abcf");
  EXPECT_EQ(encoded_value("3eb0abcd"), "fc083365623061626364");  // lowercase is raw
  EXPECT_EQ(encoded_value("3EB0abcd").substr(0, 2), "fc");       // mixed case is raw
  std::string max(127, 'F');
  EXPECT_EQ(encoded_value(max).substr(0, 4), "fbc0");
  std::string too_long(128, 'F');
  EXPECT_EQ(encoded_value(too_long).substr(0, 4), "fc80");
  for (const auto& s : {max, too_long, std::string("ABC"), std::string("0A")}) {
    expect_round_trip(Node("a", {{"b", s}}));
  }
}

TEST(Strings, RawLengthsInAttributes) {
  EXPECT_EQ(encoded_value(std::string(255, 'x')).substr(0, 4), "fcff");
  EXPECT_EQ(encoded_value(std::string(256, 'x')).substr(0, 8), "fd000100");
  expect_round_trip(Node("a", {{"b", std::string(256, 'x')}}));
  expect_round_trip(Node("a", {{"b", std::string(70000, 'y')}}));
}

TEST(Strings, DecodedStringContentBecomesBytes) {
  // <body>message</body> with the content as a token, and as nibbles.
  auto token = decode_node(unhex("f802 ed75 13"));
  ASSERT_TRUE(token.ok()) << token.status().to_string();
  EXPECT_EQ(token->text(), "message");
  auto packed = decode_node(unhex("f802 ed75 ff8312345f"));
  ASSERT_TRUE(packed.ok()) << packed.status().to_string();
  EXPECT_EQ(packed->text(), "12345");
  auto jid = decode_node(unhex("f802 ed75 fa0003"));
  ASSERT_TRUE(jid.ok());
  EXPECT_EQ(jid->text(), "@s.whatsapp.net");
}

TEST(Strings, PackedFillerInsideIsKeptAsNul) {
  // Baileys keeps a 0xF nibble that is not the final odd filler as a NUL character.
  auto n = decode_node(unhex("f803 fc0161 fc0162 ff02f112"));
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_EQ(n->attr_or("b", ""), std::string("\0"
                                             "112",
                                             4));
  expect_round_trip(*n);
}

// --- binary lengths ---

TEST(Lengths, BinaryBoundaries) {
  struct Case {
    size_t size;
    const char* header;
  };
  for (const auto& c : {Case{0, "fc00"}, Case{255, "fcff"}, Case{256, "fd000100"},
                        Case{(1u << 20) - 1, "fd0fffff"}, Case{1u << 20, "fe00100000"}}) {
    Node n("x");
    n.set_bytes(core::Bytes(c.size, 0x5A));
    core::Bytes out = encode_node(n);
    // f8 02 <"x" fc0178> <header>
    std::string header = c.header;
    EXPECT_EQ(hex(core::ByteView(out).subspan(5, header.size() / 2)), header) << c.size;
    auto decoded = decode_node(out);
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, n);
  }
}

// --- lists ---

TEST(Lists, EmptyChildListIsListEmpty) {
  Node n("iq");
  n.set_children({});
  EXPECT_EQ(hex(encode_node(n)), "f8021900");
  expect_round_trip(n);
  EXPECT_NE(n, Node("iq"));  // no content differs from an empty list
}

TEST(Lists, List8AndList16Children) {
  for (size_t count : {size_t{1}, size_t{255}, size_t{256}, size_t{300}}) {
    Node n("list");
    for (size_t i = 0; i < count; ++i) n.add_child(Node("item", {{"id", std::to_string(i)}}));
    core::Bytes out = encode_node(n);
    // f8 02 71 <list header>
    std::string expected = count < 256 ? "f8" + hex(core::Bytes{static_cast<uint8_t>(count)})
                                       : "f9" + hex(core::uint_be_bytes(count, 2));
    EXPECT_EQ(hex(core::ByteView(out).subspan(3, expected.size() / 2)), expected) << count;
    expect_round_trip(n);
  }
}

TEST(Lists, List16NodeHeaderForManyAttributes) {
  Node n("x");
  for (int i = 0; i < 128; ++i) n.set("k" + std::to_string(i), "v");
  core::Bytes out = encode_node(n);
  EXPECT_EQ(hex(core::ByteView(out).subspan(0, 3)), "f90101");  // 1 + 2 * 128 = 257
  expect_round_trip(n);
}

TEST(Lists, DuplicateAttributesKeepOrder) {
  expect_round_trip(Node("x", {{"a", "1"}, {"b", "2"}, {"a", "3"}}));
}

TEST(Encoder, EmptyTagThrows) { EXPECT_THROW(encode_node(Node()), std::invalid_argument); }

TEST(Encoder, MarshalPrefixesFlags) {
  core::Bytes frame = marshal(Node("iq"));
  ASSERT_FALSE(frame.empty());
  EXPECT_EQ(frame[0], 0x00);
  EXPECT_EQ(core::Bytes(frame.begin() + 1, frame.end()), encode_node(Node("iq")));
}

// --- zlib frames ---

core::Bytes deflate_bytes(core::ByteView data) {
  uLongf size = compressBound(data.size());
  core::Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, data.data(), data.size(), 9), Z_OK);
  out.resize(size);
  return out;
}

Node sample_stanza() {
  Node message(
      "message",
      {{"id", "3EB0C0FFEE"}, {"to", "123456789012345@lid"}, {"type", "text"}, {"t", "1700000000"}});
  Node& enc = message.add_child(Node("enc", {{"v", "2"}, {"type", "pkmsg"}}));
  enc.set_bytes(core::Bytes(200, 0x42));
  return message;
}

TEST(Zlib, CompressedPayload) {
  Node node = sample_stanza();
  core::Bytes frame{0x02};
  core::append(frame, deflate_bytes(encode_node(node)));
  auto decoded = unmarshal(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, node);
}

TEST(Zlib, OtherFlagBitsAreIgnored) {
  core::Bytes frame{0x01};
  core::append(frame, encode_node(sample_stanza()));
  auto decoded = unmarshal(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, sample_stanza());
}

TEST(Zlib, InflateExactlyAtTheLimitIsAccepted) {
  core::Bytes data(1000, 0x11);
  auto inflated = zlib_inflate(deflate_bytes(data), 1000);
  ASSERT_TRUE(inflated.ok()) << inflated.status().to_string();
  EXPECT_EQ(*inflated, data);
  auto over = zlib_inflate(deflate_bytes(data), 999);
  EXPECT_EQ(over.status().code(), core::StatusCode::kOutOfRange);
}

// --- random trees ---

class TreeGenerator {
 public:
  explicit TreeGenerator(uint32_t seed) : rng_(seed) {}

  Node node(int depth) {
    Node n(string());
    while (n.tag.empty()) n.tag = string();
    int attrs = pick(6);
    for (int i = 0; i < attrs; ++i) n.attrs.emplace_back(string(), string());
    switch (depth > 3 ? pick(2) : pick(3)) {
      case 0:
        break;
      case 1: {
        core::Bytes bytes(static_cast<size_t>(pick(3) == 0 ? pick(400) : pick(40)));
        for (auto& b : bytes) b = static_cast<uint8_t>(pick(256));
        n.content = std::move(bytes);
        break;
      }
      default: {
        Node::Children children(static_cast<size_t>(pick(5)));
        for (auto& c : children) c = node(depth + 1);
        n.content = std::move(children);
      }
    }
    return n;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string digits(int n, std::string_view alphabet) {
    std::string s;
    for (int i = 0; i < n; ++i)
      s += alphabet[static_cast<size_t>(pick(static_cast<int>(alphabet.size())))];
    return s;
  }

  std::string string() {
    static const char* kJids[] = {"15551234567@s.whatsapp.net",
                                  "15551234567:3@s.whatsapp.net",
                                  "123456789012345:12@lid",
                                  "@s.whatsapp.net",
                                  "120363012345678901@g.us",
                                  "status@broadcast",
                                  "123:99@hosted",
                                  "7-123:2@interop",
                                  "1:2@msgr",
                                  "u_5:7@s.whatsapp.net",
                                  "x:0@s.whatsapp.net",
                                  "a@b@c"};
    switch (pick(9)) {
      case 0:
        return std::string(kSingleByteTokens[static_cast<size_t>(1 + pick(235))]);
      case 1:
        return std::string(
            kDoubleByteTokens[static_cast<size_t>(pick(4))][static_cast<size_t>(pick(256))]);
      case 2:
        return digits(1 + pick(130), "0123456789-.");
      case 3:
        return digits(1 + pick(130), "0123456789ABCDEF");
      case 4:
        return kJids[pick(12)];
      case 5:
        return digits(pick(20), "abcdefxyz_:@-.0123456789");
      case 6:
        return "";
      case 7: {
        std::string s(static_cast<size_t>(pick(300)), '\0');
        for (char& c : s) c = static_cast<char>(pick(256));
        return s;
      }
      default:
        return digits(1 + pick(12), "abcdefghijklmnop");
    }
  }

  std::mt19937 rng_;
};

TEST(RoundTrip, RandomTrees) {
  TreeGenerator gen(12345);
  for (int i = 0; i < 2000; ++i) {
    Node n = gen.node(0);
    auto decoded = unmarshal(marshal(n));
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string() << "\n" << to_xml(n);
    ASSERT_EQ(*decoded, n) << to_xml(n) << "\nvs\n" << to_xml(*decoded);
  }
}

}  // namespace
}  // namespace wa::binary
