#include "simulator/connection_intake.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "tests/unit/simulator_net/fake_simulator.h"
#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"

namespace sim {
namespace {

using wa::binary::Node;

// The client side of the wire, without sockets: intro + frames out, frames in.
struct WireClient {
  WireClient(core::ByteView root, core::Random& random)
      : static_key(crypto::generate_key_pair(random)), initiator(static_key, root, clock, random) {}

  core::Bytes hello_bytes(core::ByteView routing = {}) {
    core::Bytes out = wa::noise::make_intro(routing);
    core::append(out, wa::noise::make_frame(initiator.client_hello().value()).value());
    return out;
  }
  // Consumes the serverHello frame; returns the framed clientFinish.
  core::Bytes finish_bytes(const core::Bytes& server_hello_frame, core::ByteView payload) {
    parser.feed(server_hello_frame);
    auto frame = parser.next().value();
    EXPECT_TRUE(frame.has_value());
    auto finish = initiator.on_server_hello(*frame, payload);
    EXPECT_TRUE(finish.ok()) << finish.status().to_string();
    cipher.emplace(initiator.finish().value());
    return wa::noise::make_frame(*finish).value();
  }
  core::Bytes node_bytes(const Node& n) {
    return wa::noise::make_frame(cipher->encrypt(wa::binary::marshal(n)).value()).value();
  }
  Node read_node(const core::Bytes& frame_bytes) {
    parser.feed(frame_bytes);
    auto frame = parser.next().value();
    EXPECT_TRUE(frame.has_value());
    return wa::binary::unmarshal(cipher->decrypt(*frame).value()).value();
  }

  core::FakeClock clock{1700000000};
  crypto::KeyPair static_key;
  wa::noise::NoiseInitiator initiator;
  wa::noise::FrameParser parser{wa::noise::kMaxFramePayload, false};
  std::optional<wa::noise::TransportCipher> cipher;
};

class IntakeTest : public ::testing::Test {
 protected:
  IntakeTest() : sim_(random_), intake_(sim_.noise_static_key(), sim_.cert_chain(), random_) {}

  IntakeEvent next_event() {
    auto ev = intake_.next();
    EXPECT_TRUE(ev.ok()) << ev.status().to_string();
    EXPECT_TRUE(ev.ok() && ev->has_value());
    return ev.ok() && ev->has_value() ? std::move(**ev) : IntakeEvent{};
  }
  void expect_nothing() {
    auto ev = intake_.next();
    ASSERT_TRUE(ev.ok()) << ev.status().to_string();
    EXPECT_FALSE(ev->has_value());
  }
  void expect_error(core::StatusCode code) {
    auto ev = intake_.next();
    ASSERT_FALSE(ev.ok());
    EXPECT_EQ(ev.status().code(), code) << ev.status().to_string();
    EXPECT_TRUE(intake_.failed());
  }

  // Runs the handshake; returns the client.
  std::unique_ptr<WireClient> handshake(core::ByteView routing = {}) {
    auto client = std::make_unique<WireClient>(sim_.root_public_key(), random_);
    intake_.feed(client->hello_bytes(routing));
    IntakeEvent hello = next_event();
    EXPECT_EQ(hello.kind, IntakeEvent::Kind::kWrite);
    expect_nothing();
    intake_.feed(client->finish_bytes(hello.bytes, core::as_view("payload!")));
    IntakeEvent payload = next_event();
    EXPECT_EQ(payload.kind, IntakeEvent::Kind::kClientPayload);
    EXPECT_EQ(core::to_string(payload.bytes), "payload!");
    EXPECT_EQ(payload.client_static, core::to_bytes(client->static_key.public_view()));
    EXPECT_TRUE(intake_.handshake_done());
    return client;
  }

  core::FakeRandom random_{5};
  testing::FakeSimulator sim_;
  ConnectionIntake intake_;
};

TEST_F(IntakeTest, HandshakeThenNodesBothWays) {
  auto client = handshake();
  EXPECT_EQ(intake_.stage(), "transport");
  Node ping("iq", {{"id", "1"}, {"type", "get"}, {"xmlns", "w:p"}}, Node::Children{Node("ping")});
  intake_.feed(client->node_bytes(ping));
  IntakeEvent ev = next_event();
  ASSERT_EQ(ev.kind, IntakeEvent::Kind::kNode);
  EXPECT_EQ(ev.node, ping);

  Node reply("iq", {{"id", "1"}, {"type", "result"}});
  auto out = intake_.encode_node(reply);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(client->read_node(*out), reply);
  auto out2 = intake_.encode_node(Node("second"));
  ASSERT_TRUE(out2.ok());
  EXPECT_EQ(client->read_node(*out2).tag, "second");
}

TEST_F(IntakeTest, AcceptsEdgeRoutingPrefix) {
  auto client = handshake(core::as_view("routing-info"));
  intake_.feed(client->node_bytes(Node("x")));
  EXPECT_EQ(next_event().node.tag, "x");
}

TEST_F(IntakeTest, ByteByByteAndCoalescedFeedsGiveTheSameEvents) {
  auto client = std::make_unique<WireClient>(sim_.root_public_key(), random_);
  core::Bytes hello = client->hello_bytes();
  for (uint8_t b : hello) {
    expect_nothing();
    intake_.feed(core::ByteView(&b, 1));
  }
  IntakeEvent server_hello = next_event();
  // clientFinish and three nodes in one WebSocket message.
  core::Bytes burst = client->finish_bytes(server_hello.bytes, core::as_view("p"));
  for (int i = 0; i < 3; ++i) {
    core::append(burst, client->node_bytes(Node("n", {{"i", std::to_string(i)}})));
  }
  intake_.feed(burst);
  EXPECT_EQ(next_event().kind, IntakeEvent::Kind::kClientPayload);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(next_event().node.attr_or("i", ""), std::to_string(i));
  expect_nothing();
}

TEST_F(IntakeTest, BadIntroFails) {
  intake_.feed(core::as_view("GET / HTTP/1.1\r\n"));
  expect_error(core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(intake_.encode_node(Node("x")).ok());
}

TEST_F(IntakeTest, OversizedFrameFails) {
  ConnectionIntake small(sim_.noise_static_key(), sim_.cert_chain(), random_, 100);
  core::Bytes bytes = wa::noise::make_intro();
  core::put_uint_be(bytes, 101, 3);
  small.feed(bytes);
  auto ev = small.next();
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.status().code(), core::StatusCode::kOutOfRange);
}

TEST_F(IntakeTest, GarbageClientHelloFails) {
  core::Bytes bytes = wa::noise::make_intro();
  core::append(bytes, wa::noise::make_frame(core::as_view("not a protobuf \xff\xff")).value());
  intake_.feed(bytes);
  auto ev = intake_.next();
  EXPECT_FALSE(ev.ok());
}

TEST_F(IntakeTest, TamperedTransportFrameFails) {
  auto client = handshake();
  core::Bytes frame = client->node_bytes(Node("x"));
  frame.back() ^= 1;
  intake_.feed(frame);
  expect_error(core::StatusCode::kUnauthenticated);
  // Failure is final.
  intake_.feed(client->node_bytes(Node("y")));
  EXPECT_FALSE(intake_.next().ok());
}

TEST_F(IntakeTest, UndecodableNodeFails) {
  auto client = handshake();
  core::Bytes garbage{0x00, 0xF8, 0xFF, 0xFF};
  intake_.feed(wa::noise::make_frame(client->cipher->encrypt(garbage).value()).value());
  auto ev = intake_.next();
  EXPECT_FALSE(ev.ok());
}

TEST_F(IntakeTest, EncodeBeforeHandshakeIsRefused) {
  auto r = intake_.encode_node(Node("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(intake_.stage(), "intro");
}

}  // namespace
}  // namespace sim
