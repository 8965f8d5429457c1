// NoiseTransport over a fake WebSocket channel whose far end is our own NoiseResponder: the
// full handshake and node exchange, frames split and coalesced arbitrarily, a certificate chain
// from an untrusted root (refused), a server that never answers (handshake timeout on the fake
// clock), URL parsing and the manual scheduler.
#include "wa/transport/transport.h"

#include <gtest/gtest.h>

#include <deque>

#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/noise/cert_chain.h"
#include "wa/noise/frame.h"
#include "wa/noise/handshake.h"

namespace wa::transport {
namespace {

constexpr int64_t kNow = 1'700'000'000;

// The server side of a fake channel: a Noise responder and a frame parser.
struct FakeServer {
  core::FakeRandom random{5};
  crypto::KeyPair root = crypto::generate_key_pair(random);
  crypto::KeyPair intermediate = crypto::generate_key_pair(random);
  crypto::KeyPair static_key = crypto::generate_key_pair(random);
  std::optional<noise::NoiseResponder> responder;
  std::optional<noise::TransportCipher> cipher;
  noise::FrameParser parser = noise::FrameParser::for_server();
  core::Bytes client_payload;
  std::vector<binary::Node> received;
  bool silent = false;
  size_t split = 0;  // >0: deliver server bytes in chunks of this size

  explicit FakeServer(const crypto::KeyPair* chain_root = nullptr) {
    const auto& r = chain_root ? *chain_root : root;
    auto chain = noise::create_cert_chain(r, intermediate, static_key.public_view(), 1, 2,
                                          kNow - 100, kNow + 100, random);
    responder.emplace(static_key, *chain, random);
  }
};

class FakeChannel final : public WebSocketChannel {
 public:
  FakeChannel(FakeServer& server, Scheduler& sched) : server_(server), sched_(sched) {}
  void open(Handlers h) override {
    h_ = std::move(h);
    sched_.post([this, alive = alive_] {
      if (*alive && h_.on_open) h_.on_open(core::Status());
    });
  }
  void send(core::Bytes message) override {
    if (closed_) return;
    server_.parser.feed(message);
    for (;;) {
      auto f = server_.parser.next();
      if (!f.ok() || !f->has_value()) break;
      on_server_frame(**f);
    }
  }
  void close() override { closed_ = true; }
  ~FakeChannel() override { *alive_ = false; }

  // Server → client.
  void deliver(const core::Bytes& bytes) {
    if (server_.split == 0) {
      sched_.post([this, bytes, alive = alive_] {
        if (*alive && !closed_ && h_.on_message) h_.on_message(bytes);
      });
      return;
    }
    for (size_t i = 0; i < bytes.size(); i += server_.split) {
      core::Bytes part(
          bytes.begin() + static_cast<long>(i),
          bytes.begin() + static_cast<long>(std::min(bytes.size(), i + server_.split)));
      sched_.post([this, part, alive = alive_] {
        if (*alive && !closed_ && h_.on_message) h_.on_message(part);
      });
    }
  }
  void server_send(const binary::Node& n) {
    auto enc = server_.cipher->encrypt(binary::marshal(n));
    deliver(*noise::make_frame(*enc));
  }
  bool closed() const { return closed_; }

 private:
  void on_server_frame(const core::Bytes& frame) {
    if (server_.silent) return;
    if (!server_.cipher) {
      if (server_.client_payload.empty() && !hello_done_) {
        hello_done_ = true;
        auto sh = server_.responder->on_client_hello(frame);
        ASSERT_TRUE(sh.ok()) << sh.status().to_string();
        deliver(*noise::make_frame(*sh));
        return;
      }
      auto payload = server_.responder->on_client_finish(frame);
      ASSERT_TRUE(payload.ok()) << payload.status().to_string();
      server_.client_payload = *payload;
      server_.cipher.emplace(std::move(*server_.responder->finish()));
      return;
    }
    auto plain = server_.cipher->decrypt(frame);
    ASSERT_TRUE(plain.ok());
    server_.received.push_back(*binary::unmarshal(*plain));
  }

  FakeServer& server_;
  Scheduler& sched_;
  Handlers h_;
  bool closed_ = false;
  bool hello_done_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct Listener : Transport::Listener {
  bool opened = false;
  std::vector<binary::Node> nodes;
  std::optional<core::Status> closed;
  void on_open() override { opened = true; }
  void on_node(binary::Node n) override { nodes.push_back(std::move(n)); }
  void on_closed(core::Status s) override { closed = s; }
};

class TransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<NoiseTransport> make(FakeServer& server, const crypto::KeyPair& trusted_root) {
    auto ch = std::make_unique<FakeChannel>(server, sched_);
    channel_ = ch.get();
    TransportConfig cfg;
    cfg.noise_root_key = core::to_bytes(trusted_root.public_view());
    cfg.connect_timeout = std::chrono::milliseconds(20000);
    ConnectParams p;
    p.noise_key = crypto::generate_key_pair(random_);
    p.client_payload = core::to_bytes("payload");
    return std::make_unique<NoiseTransport>(std::move(ch), cfg, p, sched_, clock_, random_);
  }
  core::FakeClock clock_{kNow};
  core::FakeRandom random_{9};
  ManualScheduler sched_{clock_};
  FakeChannel* channel_ = nullptr;
  Listener listener_;
};

TEST_F(TransportTest, HandshakeThenNodesBothWays) {
  FakeServer server;
  auto t = make(server, server.root);
  t->start(&listener_);
  sched_.run_ready();
  ASSERT_TRUE(listener_.opened);
  EXPECT_EQ(server.client_payload, core::to_bytes("payload"));
  t->send(binary::Node("iq", {{"id", "1"}, {"type", "get"}}));
  ASSERT_EQ(server.received.size(), 1u);
  EXPECT_EQ(server.received[0].attr_or("id", ""), "1");
  channel_->server_send(binary::Node("success", {{"t", "1"}}));
  channel_->server_send(binary::Node("ib"));
  sched_.run_ready();
  ASSERT_EQ(listener_.nodes.size(), 2u);
  EXPECT_EQ(listener_.nodes[0].tag, "success");
  EXPECT_EQ(listener_.nodes[1].tag, "ib");
  EXPECT_FALSE(listener_.closed);
  // The connect timeout no longer applies once the handshake is done.
  sched_.advance(std::chrono::seconds(60));
  EXPECT_FALSE(listener_.closed);
}

TEST_F(TransportTest, FramesSplitIntoTinyWebSocketMessages) {
  FakeServer server;
  server.split = 3;
  auto t = make(server, server.root);
  t->start(&listener_);
  sched_.run_ready();
  ASSERT_TRUE(listener_.opened);
  channel_->server_send(binary::Node("success", {{"t", "1"}}));
  sched_.run_ready();
  ASSERT_EQ(listener_.nodes.size(), 1u);
}

TEST_F(TransportTest, UntrustedCertificateChainIsRefused) {
  core::FakeRandom r(77);
  auto rogue_root = crypto::generate_key_pair(r);
  FakeServer server(&rogue_root);
  auto t = make(server, server.root);  // we trust server.root, the chain is signed by rogue_root
  t->start(&listener_);
  sched_.run_ready();
  EXPECT_FALSE(listener_.opened);
  ASSERT_TRUE(listener_.closed);
  EXPECT_EQ(listener_.closed->code(), core::StatusCode::kUnauthenticated)
      << listener_.closed->to_string();
  EXPECT_TRUE(channel_->closed());
  EXPECT_TRUE(server.client_payload.empty())
      << "no ClientPayload may leave before the chain verifies";
}

TEST_F(TransportTest, SilentServerTimesOutOnTheFakeClock) {
  FakeServer server;
  server.silent = true;
  auto t = make(server, server.root);
  t->start(&listener_);
  sched_.advance(std::chrono::seconds(19));
  EXPECT_FALSE(listener_.closed);
  sched_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(listener_.closed);
  EXPECT_EQ(listener_.closed->code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(channel_->closed());
}

TEST_F(TransportTest, DestroyingTheTransportSilencesCallbacks) {
  FakeServer server;
  server.silent = true;
  auto t = make(server, server.root);
  t->start(&listener_);
  t.reset();
  sched_.advance(std::chrono::seconds(30));
  EXPECT_FALSE(listener_.closed);
}

TEST(ParseUrl, Forms) {
  auto a = parse_url("wss://web.whatsapp.com/ws/chat");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "web.whatsapp.com");
  EXPECT_EQ(a->port, "443");
  EXPECT_EQ(a->target, "/ws/chat");
  auto b = parse_url("ws://127.0.0.1:7100");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, "7100");
  EXPECT_EQ(b->target, "/");
  auto c = parse_url("https://[::1]:8443/mms/image/x?auth=1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, "8443");
  EXPECT_EQ(c->target, "/mms/image/x?auth=1");
  EXPECT_FALSE(parse_url("ftp://x").ok());
  EXPECT_FALSE(parse_url("ws://").ok());
  EXPECT_FALSE(parse_url("ws://host:12x/").ok());
}

TEST(ManualSchedulerTest, TimersRunInOrderAndCancel) {
  core::FakeClock clock;
  ManualScheduler s(clock);
  std::vector<int> order;
  auto t1 = s.after(std::chrono::milliseconds(200), [&] { order.push_back(2); });
  auto t2 = s.after(std::chrono::milliseconds(100), [&] { order.push_back(1); });
  auto t3 = s.after(std::chrono::milliseconds(150), [&] { order.push_back(99); });
  t3->cancel();
  s.post([&] { order.push_back(0); });
  s.advance(std::chrono::milliseconds(300));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  {
    auto t4 = s.after(std::chrono::milliseconds(10), [&] { order.push_back(5); });
  }  // destroyed handle cancels
  s.advance(std::chrono::milliseconds(20));
  EXPECT_EQ(order.size(), 3u);
}

}  // namespace
}  // namespace wa::transport
