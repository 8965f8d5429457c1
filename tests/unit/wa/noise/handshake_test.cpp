#include "wa/noise/handshake.h"

#include <gtest/gtest.h>

#include <string>

#include "core/encoding.h"
#include "crypto/aes.h"
#include "proto/handshake.pb.h"
#include "wa/noise/cert_chain.h"
#include "wa/noise/frame.h"

namespace wa::noise {
namespace {

constexpr int64_t kNow = 1'700'000'000;

core::Bytes bytes_of(core::ByteView v) { return core::to_bytes(v); }

class HandshakeTest : public ::testing::Test {
 protected:
  HandshakeTest()
      : root_(crypto::generate_key_pair(random_)),
        intermediate_(crypto::generate_key_pair(random_)),
        server_static_(crypto::generate_key_pair(random_)),
        client_static_(crypto::generate_key_pair(random_)) {
    auto chain = create_cert_chain(root_, intermediate_, server_static_.public_view(), 1, 2,
                                   kNow - 3600, kNow + 3600, random_);
    EXPECT_TRUE(chain.ok());
    chain_ = *chain;
  }

  NoiseInitiator make_initiator() {
    return NoiseInitiator(client_static_, root_.public_view(), clock_, random_);
  }
  NoiseResponder make_responder() { return NoiseResponder(server_static_, chain_, random_); }

  core::FakeRandom random_{77};
  core::FakeClock clock_{kNow};
  crypto::KeyPair root_, intermediate_, server_static_, client_static_;
  core::Bytes chain_;
  const core::Bytes payload_ = core::to_bytes("client payload bytes");
};

void expect_code(const core::Status& s, core::StatusCode code) {
  EXPECT_EQ(s.code(), code) << s.to_string();
}

TEST_F(HandshakeTest, FullHandshakeThenTransportBothWays) {
  auto client = make_initiator();
  auto server = make_responder();

  auto hello = client.client_hello();
  ASSERT_TRUE(hello.ok());
  auto server_hello = server.on_client_hello(*hello);
  ASSERT_TRUE(server_hello.ok()) << server_hello.status().to_string();
  auto finish_msg = client.on_server_hello(*server_hello, payload_);
  ASSERT_TRUE(finish_msg.ok()) << finish_msg.status().to_string();
  auto got_payload = server.on_client_finish(*finish_msg);
  ASSERT_TRUE(got_payload.ok()) << got_payload.status().to_string();
  EXPECT_EQ(*got_payload, payload_);

  EXPECT_EQ(bytes_of(client.server_static()), bytes_of(server_static_.public_view()));
  EXPECT_EQ(bytes_of(server.client_static()), bytes_of(client_static_.public_view()));

  auto client_cipher = client.finish();
  auto server_cipher = server.finish();
  ASSERT_TRUE(client_cipher.ok());
  ASSERT_TRUE(server_cipher.ok());

  for (int i = 0; i < 4; ++i) {
    core::Bytes up = core::to_bytes("up " + std::to_string(i));
    auto c = client_cipher->encrypt(up);
    ASSERT_TRUE(c.ok());
    auto p = server_cipher->decrypt(*c);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_EQ(*p, up);
  }
  for (int i = 0; i < 3; ++i) {
    core::Bytes down = core::to_bytes("down " + std::to_string(i));
    auto c = server_cipher->encrypt(down);
    ASSERT_TRUE(c.ok());
    auto p = client_cipher->decrypt(*c);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, down);
  }
  // Directions use different keys: a client frame does not decrypt as a server frame.
  auto own = client_cipher->encrypt(core::Bytes{1});
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(client_cipher->decrypt(*own).ok());

  // finish() is one-shot.
  expect_code(client.finish().status(), core::StatusCode::kFailedPrecondition);
  expect_code(server.finish().status(), core::StatusCode::kFailedPrecondition);
}

TEST_F(HandshakeTest, FirstWireBytesMatchObservedLayout) {
  auto client = make_initiator();
  auto hello = client.client_hello();
  ASSERT_TRUE(hello.ok());
  auto frame = make_frame(*hello);
  ASSERT_TRUE(frame.ok());
  core::Bytes wire = core::concat({make_intro(), *frame});
  ASSERT_EQ(wire.size(), 43u);
  EXPECT_EQ(core::hex_encode(core::ByteView(wire).first(11)),
            "57410603000024122"
            "20a20");
  // The remaining 32 bytes are the ephemeral public key; nothing else is set.
  waproto::HandshakeMessage msg;
  ASSERT_TRUE(msg.ParseFromArray(hello->data(), static_cast<int>(hello->size())));
  EXPECT_EQ(core::to_bytes(core::as_view(msg.client_hello().ephemeral())),
            core::Bytes(wire.begin() + 11, wire.end()));
  EXPECT_FALSE(msg.client_hello().has_static_());
  EXPECT_FALSE(msg.client_hello().has_payload());
}

// Drives the whole exchange through intro + framing as a server reading a byte stream would.
TEST_F(HandshakeTest, OverFramedByteStream) {
  auto client = make_initiator();
  auto server = make_responder();
  auto server_in = FrameParser::for_server();
  FrameParser client_in;

  auto hello = client.client_hello();
  ASSERT_TRUE(hello.ok());
  core::Bytes up = core::concat({make_intro(core::Bytes{1, 2, 3}), *make_frame(*hello)});
  // Deliver in two awkward pieces.
  server_in.feed(core::ByteView(up).first(5));
  ASSERT_FALSE(server_in.next()->has_value());
  server_in.feed(core::ByteView(up).subspan(5));
  auto f1 = server_in.next();
  ASSERT_TRUE(f1.ok() && f1->has_value());
  EXPECT_EQ(*server_in.routing_info(), (core::Bytes{1, 2, 3}));

  auto server_hello = server.on_client_hello(**f1);
  ASSERT_TRUE(server_hello.ok());
  client_in.feed(*make_frame(*server_hello));
  auto f2 = client_in.next();
  ASSERT_TRUE(f2.ok() && f2->has_value());
  auto finish_msg = client.on_server_hello(**f2, payload_);
  ASSERT_TRUE(finish_msg.ok());
  auto client_cipher = client.finish();
  ASSERT_TRUE(client_cipher.ok());

  // The client switches to transport right after clientFinish; coalesce both in one write.
  auto t1 = client_cipher->encrypt(core::to_bytes("node"));
  ASSERT_TRUE(t1.ok());
  server_in.feed(core::concat({*make_frame(*finish_msg), *make_frame(*t1)}));
  auto f3 = server_in.next();
  ASSERT_TRUE(f3.ok() && f3->has_value());
  ASSERT_TRUE(server.on_client_finish(**f3).ok());
  auto server_cipher = server.finish();
  ASSERT_TRUE(server_cipher.ok());
  auto f4 = server_in.next();
  ASSERT_TRUE(f4.ok() && f4->has_value());
  auto node = server_cipher->decrypt(**f4);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(*node, core::to_bytes("node"));
}

// An independent responder written step by step from §1.4 with the bare primitives, to pin the
// counter rules (message 3's static at n = 1) and the split key order.
TEST_F(HandshakeTest, InitiatorMatchesStepByStepResponder) {
  auto client = make_initiator();
  auto hello = client.client_hello();
  ASSERT_TRUE(hello.ok());
  waproto::HandshakeMessage m1;
  ASSERT_TRUE(m1.ParseFromArray(hello->data(), static_cast<int>(hello->size())));
  core::Bytes e_c = core::to_bytes(core::as_view(m1.client_hello().ephemeral()));

  HandshakeState hs;
  hs.mix_hash(e_c);
  auto e_s = crypto::generate_key_pair(random_);
  hs.mix_hash(e_s.public_view());
  ASSERT_TRUE(hs.mix_key(*crypto::x25519(e_s.private_view(), e_c)).ok());
  auto static_ct = hs.encrypt_and_hash(server_static_.public_view());
  ASSERT_TRUE(static_ct.ok());
  EXPECT_EQ(static_ct->size(), 48u);
  ASSERT_TRUE(hs.mix_key(*crypto::x25519(server_static_.private_view(), e_c)).ok());
  auto cert_ct = hs.encrypt_and_hash(chain_);
  ASSERT_TRUE(cert_ct.ok());

  waproto::HandshakeMessage m2;
  m2.mutable_server_hello()->set_ephemeral(core::to_string(e_s.public_view()));
  m2.mutable_server_hello()->set_static_(core::to_string(*static_ct));
  m2.mutable_server_hello()->set_payload(core::to_string(*cert_ct));
  auto finish_msg = client.on_server_hello(core::as_view(m2.SerializeAsString()), payload_);
  ASSERT_TRUE(finish_msg.ok()) << finish_msg.status().to_string();

  waproto::HandshakeMessage m3;
  ASSERT_TRUE(m3.ParseFromArray(finish_msg->data(), static_cast<int>(finish_msg->size())));
  EXPECT_EQ(m3.client_finish().static_().size(), 48u);
  EXPECT_EQ(hs.counter(), 1u);  // the cert used n = 0 under this key
  auto s_c = hs.decrypt_and_hash(core::as_view(m3.client_finish().static_()));
  ASSERT_TRUE(s_c.ok()) << s_c.status().to_string();
  EXPECT_EQ(*s_c, bytes_of(client_static_.public_view()));
  ASSERT_TRUE(hs.mix_key(*crypto::x25519(e_s.private_view(), *s_c)).ok());
  auto pl = hs.decrypt_and_hash(core::as_view(m3.client_finish().payload()));
  ASSERT_TRUE(pl.ok());
  EXPECT_EQ(*pl, payload_);

  auto keys = hs.split();
  ASSERT_TRUE(keys.ok());
  auto client_cipher = client.finish();
  ASSERT_TRUE(client_cipher.ok());
  core::Bytes msg = core::to_bytes("hello server");
  auto c = client_cipher->encrypt(msg);
  ASSERT_TRUE(c.ok());
  // Client→server uses out[0:32] at counter 0 with empty AAD.
  auto p = crypto::aes256_gcm_decrypt(keys->first, HandshakeState::nonce(0), *c, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, msg);
  auto down = crypto::aes256_gcm_encrypt(keys->second, HandshakeState::nonce(0), msg, {});
  ASSERT_TRUE(down.ok());
  auto p2 = client_cipher->decrypt(*down);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(*p2, msg);
}

TEST_F(HandshakeTest, UntrustedRootFailsAndIsFinal) {
  auto other_root = crypto::generate_key_pair(random_);
  NoiseInitiator client(client_static_, other_root.public_view(), clock_, random_);
  auto server = make_responder();
  auto server_hello = server.on_client_hello(*client.client_hello());
  ASSERT_TRUE(server_hello.ok());
  auto r = client.on_server_hello(*server_hello, payload_);
  expect_code(r.status(), core::StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("server certificate"), std::string::npos);
  expect_code(client.finish().status(), core::StatusCode::kFailedPrecondition);
  expect_code(client.on_server_hello(*server_hello, payload_).status(),
              core::StatusCode::kFailedPrecondition);
}

TEST_F(HandshakeTest, RealRootRejectsSimulatorChain) {
  NoiseInitiator client(client_static_, kWhatsAppRootKey, clock_, random_);
  auto server = make_responder();
  auto server_hello = server.on_client_hello(*client.client_hello());
  ASSERT_TRUE(server_hello.ok());
  expect_code(client.on_server_hello(*server_hello, payload_).status(),
              core::StatusCode::kUnauthenticated);
}

TEST_F(HandshakeTest, ExpiredCertificateViaClock) {
  clock_.set_unix_seconds(kNow + 7200);
  auto client = make_initiator();
  auto server = make_responder();
  auto server_hello = server.on_client_hello(*client.client_hello());
  ASSERT_TRUE(server_hello.ok());
  auto r = client.on_server_hello(*server_hello, payload_);
  expect_code(r.status(), core::StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("certificate expired"), std::string::npos);
}

TEST_F(HandshakeTest, ChainForAnotherStaticKeyIsRejected) {
  auto impostor = crypto::generate_key_pair(random_);
  auto client = make_initiator();
  NoiseResponder server(impostor, chain_, random_);  // chain names server_static_, not impostor
  auto server_hello = server.on_client_hello(*client.client_hello());
  ASSERT_TRUE(server_hello.ok());
  auto r = client.on_server_hello(*server_hello, payload_);
  expect_code(r.status(), core::StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("server static key"), std::string::npos);
}

core::Bytes tamper_field(core::ByteView message, bool server_hello, bool static_field) {
  waproto::HandshakeMessage msg;
  EXPECT_TRUE(msg.ParseFromArray(message.data(), static_cast<int>(message.size())));
  std::string* field;
  if (server_hello) {
    field = static_field ? msg.mutable_server_hello()->mutable_static_()
                         : msg.mutable_server_hello()->mutable_payload();
  } else {
    field = static_field ? msg.mutable_client_finish()->mutable_static_()
                         : msg.mutable_client_finish()->mutable_payload();
  }
  (*field)[field->size() / 2] ^= 0x01;
  return core::to_bytes(msg.SerializeAsString());
}

TEST_F(HandshakeTest, TamperedServerHelloCiphertexts) {
  for (bool static_field : {true, false}) {
    auto client = make_initiator();
    auto server = make_responder();
    auto server_hello = server.on_client_hello(*client.client_hello());
    ASSERT_TRUE(server_hello.ok());
    auto r = client.on_server_hello(tamper_field(*server_hello, true, static_field), payload_);
    expect_code(r.status(), core::StatusCode::kUnauthenticated);
  }
}

TEST_F(HandshakeTest, TamperedClientFinishCiphertexts) {
  for (bool static_field : {true, false}) {
    auto client = make_initiator();
    auto server = make_responder();
    auto server_hello = server.on_client_hello(*client.client_hello());
    ASSERT_TRUE(server_hello.ok());
    auto finish_msg = client.on_server_hello(*server_hello, payload_);
    ASSERT_TRUE(finish_msg.ok());
    auto r = server.on_client_finish(tamper_field(*finish_msg, false, static_field));
    expect_code(r.status(), core::StatusCode::kUnauthenticated);
    expect_code(server.finish().status(), core::StatusCode::kFailedPrecondition);
  }
}

TEST_F(HandshakeTest, TamperedServerEphemeralBreaksTranscript) {
  auto client = make_initiator();
  auto server = make_responder();
  auto server_hello = server.on_client_hello(*client.client_hello());
  ASSERT_TRUE(server_hello.ok());
  waproto::HandshakeMessage msg;
  ASSERT_TRUE(msg.ParseFromArray(server_hello->data(), static_cast<int>(server_hello->size())));
  auto other = crypto::generate_key_pair(random_);
  msg.mutable_server_hello()->set_ephemeral(core::to_string(other.public_view()));
  auto r = client.on_server_hello(core::as_view(msg.SerializeAsString()), payload_);
  expect_code(r.status(), core::StatusCode::kUnauthenticated);
}

TEST_F(HandshakeTest, OutOfOrderCalls) {
  auto client = make_initiator();
  auto server = make_responder();
  core::Bytes junk{1, 2, 3};
  expect_code(client.on_server_hello(junk, payload_).status(),
              core::StatusCode::kFailedPrecondition);
  expect_code(client.finish().status(), core::StatusCode::kFailedPrecondition);
  expect_code(server.on_client_finish(junk).status(), core::StatusCode::kFailedPrecondition);
  expect_code(server.finish().status(), core::StatusCode::kFailedPrecondition);

  auto hello = client.client_hello();
  ASSERT_TRUE(hello.ok());
  expect_code(client.client_hello().status(), core::StatusCode::kFailedPrecondition);
  expect_code(client.finish().status(), core::StatusCode::kFailedPrecondition);
  auto server_hello = server.on_client_hello(*hello);
  ASSERT_TRUE(server_hello.ok());
  expect_code(server.on_client_hello(*hello).status(), core::StatusCode::kFailedPrecondition);
  expect_code(server.finish().status(), core::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(client.server_static().empty());
  EXPECT_TRUE(server.client_static().empty());
}

TEST_F(HandshakeTest, WrongOrMalformedMessages) {
  auto client = make_initiator();
  auto server = make_responder();
  // A serverHello where a clientHello is expected, and garbage.
  waproto::HandshakeMessage wrong;
  wrong.mutable_server_hello()->set_ephemeral(std::string(32, 'x'));
  auto r = server.on_client_hello(core::as_view(wrong.SerializeAsString()));
  expect_code(r.status(), core::StatusCode::kInvalidArgument);

  auto server2 = make_responder();
  expect_code(server2.on_client_hello(core::Bytes{0xff, 0xff, 0xff}).status(),
              core::StatusCode::kInvalidArgument);

  auto server3 = make_responder();
  waproto::HandshakeMessage short_key;
  short_key.mutable_client_hello()->set_ephemeral(std::string(31, 'x'));
  expect_code(server3.on_client_hello(core::as_view(short_key.SerializeAsString())).status(),
              core::StatusCode::kInvalidArgument);

  auto hello = client.client_hello();
  ASSERT_TRUE(hello.ok());
  // The client given its own clientHello back.
  expect_code(client.on_server_hello(*hello, payload_).status(),
              core::StatusCode::kInvalidArgument);
}

TEST_F(HandshakeTest, LowOrderEphemeralIsRejected) {
  auto server = make_responder();
  waproto::HandshakeMessage msg;
  msg.mutable_client_hello()->set_ephemeral(std::string(32, '\0'));  // all-zero point
  auto r = server.on_client_hello(core::as_view(msg.SerializeAsString()));
  EXPECT_FALSE(r.ok());
}

TEST_F(HandshakeTest, DeterministicWithSameSeeds) {
  auto run = [&](uint64_t seed) {
    core::FakeRandom rc(seed), rs(seed + 1);
    NoiseInitiator client(client_static_, root_.public_view(), clock_, rc);
    NoiseResponder server(server_static_, chain_, rs);
    auto hello = client.client_hello();
    auto sh = server.on_client_hello(*hello);
    auto cf = client.on_server_hello(*sh, payload_);
    EXPECT_TRUE(cf.ok());
    return core::concat({*hello, *sh, *cf});
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace wa::noise
