// Wire-format tests for proto/handshake.proto: Noise handshake frames and the server cert chain.
#include <gtest/gtest.h>

#include <string>

#include "proto/handshake.pb.h"
#include "tests/unit/proto/wire_hex.h"

namespace {

using proto_test::Hex;
using proto_test::WireHex;

std::string Sequence(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

// Protocol reference §14 item 2: Baileys' first frame is exactly 12 22 0a 20 <32 bytes>.
TEST(HandshakeProto, ClientHelloWithEphemeralMatchesObservedBaileysBytes) {
  waproto::HandshakeMessage msg;
  msg.mutable_client_hello()->set_ephemeral(Sequence(32));
  const std::string wire = msg.SerializeAsString();
  ASSERT_EQ(wire.size(), 36u);
  EXPECT_EQ(WireHex(msg), Hex("12 22 0a 20 000102030405060708090a0b0c0d0e0f"
                              "101112131415161718191a1b1c1d1e1f"));
}

TEST(HandshakeProto, ServerHelloAndClientFinishTags) {
  waproto::HandshakeMessage server;
  auto* hello = server.mutable_server_hello();
  hello->set_ephemeral("E");
  hello->set_static_("S");
  hello->set_payload("P");
  hello->set_extended_static("X");
  // field 3 (serverHello) len 12 { 1:"E", 2:"S", 3:"P", 4:"X" }
  EXPECT_EQ(WireHex(server), Hex("1a 0c 0a0145 120153 1a0150 220158"));

  waproto::HandshakeMessage finish;
  finish.mutable_client_finish()->set_static_("s");
  finish.mutable_client_finish()->set_payload("p");
  finish.mutable_client_finish()->set_extended_ciphertext("x");
  // field 4 (clientFinish) len 9 { 1:"s", 2:"p", 3:"x" }
  EXPECT_EQ(WireHex(finish), Hex("22 09 0a0173 120170 1a0178"));
}

TEST(HandshakeProto, ClientHelloUseExtendedIsVarintBool) {
  waproto::HandshakeMessage msg;
  msg.mutable_client_hello()->set_use_extended(true);
  msg.mutable_client_hello()->set_extended_ciphertext("c");
  EXPECT_EQ(WireHex(msg), Hex("12 05 2001 2a0163"));
}

TEST(HandshakeProto, ParsesServerHelloFromHandBuiltBytes) {
  // 1a 06 { 0a 02 "ab" 12 00 }: an empty but present static.
  const std::string wire(
      "\x1a\x06\x0a\x02"
      "ab"
      "\x12\x00",
      8);
  waproto::HandshakeMessage msg;
  ASSERT_TRUE(msg.ParseFromString(wire));
  ASSERT_TRUE(msg.has_server_hello());
  EXPECT_FALSE(msg.has_client_hello());
  EXPECT_EQ(msg.server_hello().ephemeral(), "ab");
  EXPECT_TRUE(msg.server_hello().has_static_());
  EXPECT_EQ(msg.server_hello().static_(), "");
  EXPECT_FALSE(msg.server_hello().has_payload());
}

TEST(HandshakeProto, CertChainDetailsWireBytes) {
  waproto::CertChain_NoiseCertificate_Details details;
  details.set_serial(1);
  details.set_issuer_serial(0);
  details.set_key(std::string(32, '\x07'));
  details.set_not_before(1700000000);
  details.set_not_after(1700000000);
  // issuer_serial = 0 is explicitly set, so proto2 emits it (10 00); Baileys checks it equals 0.
  EXPECT_EQ(WireHex(details), Hex("0801 1000 1a20") + proto_test::HexRepeat(0x07, 32) +
                                  Hex("20 80e2cfaa06 28 80e2cfaa06"));
}

TEST(HandshakeProto, CertChainRoundTripKeepsDetailBytesVerbatim) {
  waproto::CertChain_NoiseCertificate_Details inter;
  inter.set_serial(5);
  inter.set_issuer_serial(0);
  inter.set_key(std::string(32, '\x01'));
  inter.set_not_before(10);
  inter.set_not_after(0xFFFFFFFFFFull);

  waproto::CertChain chain;
  chain.mutable_intermediate()->set_details(inter.SerializeAsString());
  chain.mutable_intermediate()->set_signature(std::string(64, '\x02'));
  chain.mutable_leaf()->set_details("leaf-details");
  chain.mutable_leaf()->set_signature(std::string(64, '\x03'));

  waproto::CertChain parsed;
  ASSERT_TRUE(parsed.ParseFromString(chain.SerializeAsString()));
  EXPECT_EQ(parsed.intermediate().details(), inter.SerializeAsString());
  EXPECT_EQ(parsed.leaf().details(), "leaf-details");
  EXPECT_EQ(parsed.leaf().signature().size(), 64u);

  waproto::CertChain_NoiseCertificate_Details inter_parsed;
  ASSERT_TRUE(inter_parsed.ParseFromString(parsed.intermediate().details()));
  EXPECT_EQ(inter_parsed.serial(), 5u);
  EXPECT_TRUE(inter_parsed.has_issuer_serial());
  EXPECT_EQ(inter_parsed.issuer_serial(), 0u);
  EXPECT_EQ(inter_parsed.not_after(), 0xFFFFFFFFFFull);
  EXPECT_EQ(inter_parsed.key(), std::string(32, '\x01'));
}

}  // namespace
