// The WebSocket server end to end over real loopback sockets, with a fake core that echoes
// nodes: handshake, ordering, close vs drop, delays, and that a hostile connection is closed
// without disturbing a healthy one.
#include "tests/unit/simulator_net/ws_test_client.h"  // first: includes core/net/net.h

#include <gtest/gtest.h>

#include <thread>

#include "simulator/ws_server.h"
#include "tests/unit/simulator_net/fake_simulator.h"

namespace sim {
namespace {

using testing::WsTestClient;
using wa::binary::Node;

class WsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WsServerOptions options;
    options.handshake_timeout = std::chrono::milliseconds(500);
    options.max_frame = 64 * 1024;
    auto server = WsServer::listen(io_, "127.0.0.1", 0, options);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    server_ = std::move(*server);
    server_->start(sim_, random_);
    guard_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override { stop(); }

  // Stops the io thread; afterwards the fake core may be inspected from the test thread.
  void stop() {
    if (!thread_.joinable()) return;
    net::post(io_, [this] { server_->stop(); });
    guard_.reset();
    // Give dropped connections a moment to unwind, then stop hard.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    io_.stop();
    thread_.join();
  }

  // Runs `fn` on the io thread and waits for it.
  template <class F>
  auto on_io(F fn) {
    std::promise<decltype(fn())> p;
    auto f = p.get_future();
    net::post(io_, [&] { p.set_value(fn()); });
    return f.get();
  }

  std::unique_ptr<WsTestClient> connected_client() {
    auto c = std::make_unique<WsTestClient>(io_);
    EXPECT_FALSE(c->connect(server_->port()));
    EXPECT_TRUE(c->noise_handshake(sim_.root_public_key(), core::as_view("cp"), client_random_));
    auto hello = c->read_node();
    EXPECT_TRUE(hello.has_value());
    if (hello) {
      EXPECT_EQ(hello->tag, "hello");
    }
    return c;
  }

  core::FakeRandom random_{11};
  core::FakeRandom client_random_{12};
  testing::FakeSimulator sim_{random_};
  net::io_context io_{1};
  std::unique_ptr<WsServer> server_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_;
  std::thread thread_;
};

TEST_F(WsServerTest, HandshakeThenEchoInOrder) {
  auto c = connected_client();
  for (int i = 0; i < 50; ++i) {
    ASSERT_FALSE(c->send_node(Node("n", {{"i", std::to_string(i)}})));
  }
  for (int i = 0; i < 50; ++i) {
    auto n = c->read_node();
    ASSERT_TRUE(n.has_value()) << i;
    EXPECT_EQ(n->tag, "echo");
    EXPECT_EQ(n->attr_or("i", ""), std::to_string(i));
  }
  EXPECT_EQ(on_io([&] { return sim_.payloads.size(); }), 1u);
  auto payload = on_io([&] { return sim_.payloads[0]; });
  EXPECT_EQ(core::to_string(payload.payload), "cp");
  EXPECT_EQ(payload.client_static, core::to_bytes(c->static_key().public_view()));
}

TEST_F(WsServerTest, AnyPathIsAccepted) {
  auto c = std::make_unique<WsTestClient>(io_);
  ASSERT_FALSE(c->connect(server_->port(), "/some/other/path?x=1"));
  EXPECT_TRUE(c->noise_handshake(sim_.root_public_key(), core::as_view("cp"), client_random_));
}

TEST_F(WsServerTest, CloseFlushesQueuedFramesFirst) {
  auto c = connected_client();
  ASSERT_FALSE(c->send_node(Node("burst")));
  for (int i = 0; i < 20; ++i) {
    auto n = c->read_node();
    ASSERT_TRUE(n.has_value()) << i;
    EXPECT_EQ(n->attr_or("i", ""), std::to_string(i));
  }
  EXPECT_FALSE(c->read_node().has_value());
  EXPECT_EQ(c->last_error(), websocket::error::closed);
  stop();
  EXPECT_EQ(sim_.disconnected.size(), 1u);
}

TEST_F(WsServerTest, DropClosesWithoutWebSocketClose) {
  auto c = connected_client();
  ASSERT_FALSE(c->send_node(Node("drop-me")));
  EXPECT_FALSE(c->read_node().has_value());
  EXPECT_NE(c->last_error(), websocket::error::closed);
  EXPECT_NE(c->last_error(), net::error::timed_out);
  stop();
  EXPECT_EQ(sim_.disconnected.size(), 1u);
}

TEST_F(WsServerTest, DelayIsAppliedPerFrame) {
  auto c = connected_client();
  on_io([&] { return sim_.delay_ms = 100; });
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_FALSE(c->send_node(Node("a")));
  ASSERT_FALSE(c->send_node(Node("b")));
  ASSERT_TRUE(c->read_node().has_value());
  ASSERT_TRUE(c->read_node().has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
}

TEST_F(WsServerTest, HostileConnectionsAreClosedAndOthersKeepWorking) {
  auto good = connected_client();

  auto bad_intro = std::make_unique<WsTestClient>(io_);
  ASSERT_FALSE(bad_intro->connect(server_->port()));
  ASSERT_FALSE(bad_intro->write_raw(core::to_bytes(std::string_view("XX\x06\x03garbage"))));
  EXPECT_FALSE(bad_intro->read_frame().has_value());
  EXPECT_NE(bad_intro->last_error(), net::error::timed_out);

  auto huge = std::make_unique<WsTestClient>(io_);
  ASSERT_FALSE(huge->connect(server_->port()));
  core::Bytes intro = wa::noise::make_intro();
  core::put_uint_be(intro, 64 * 1024 + 1, 3);  // declared length over the limit
  ASSERT_FALSE(huge->write_raw(intro));
  EXPECT_FALSE(huge->read_frame().has_value());
  EXPECT_NE(huge->last_error(), net::error::timed_out);

  auto bad_hello = std::make_unique<WsTestClient>(io_);
  ASSERT_FALSE(bad_hello->connect(server_->port()));
  core::Bytes junk = wa::noise::make_intro();
  core::append(junk, wa::noise::make_frame(core::Bytes(40, 0xEE)).value());
  ASSERT_FALSE(bad_hello->write_raw(junk));
  EXPECT_FALSE(bad_hello->read_frame().has_value());

  auto bad_frame = connected_client();
  ASSERT_FALSE(bad_frame->write_raw(wa::noise::make_frame(core::Bytes(32, 0x42)).value()));
  EXPECT_FALSE(bad_frame->read_node().has_value());
  EXPECT_NE(bad_frame->last_error(), net::error::timed_out);

  // The healthy connection never noticed.
  ASSERT_FALSE(good->send_node(Node("still-here")));
  auto n = good->read_node();
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->tag, "echo");
  stop();
  // Only the two connections that finished the handshake reached the core; both ended.
  EXPECT_EQ(sim_.connected, 2);
}

TEST_F(WsServerTest, SilentClientIsClosedAfterHandshakeTimeout) {
  auto c = std::make_unique<WsTestClient>(io_, std::chrono::seconds(3));
  ASSERT_FALSE(c->connect(server_->port()));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(c->read_frame().has_value());
  EXPECT_NE(c->last_error(), net::error::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST_F(WsServerTest, PlainHttpRequestIsRefused) {
  // Not a WebSocket upgrade: the connection ends without reaching the core.
  net::io_context client_io;
  net::ip::tcp::socket s(client_io);
  s.connect({net::ip::make_address("127.0.0.1"), server_->port()});
  std::string req = "GET /ws/chat HTTP/1.1\r\nHost: x\r\n\r\n";
  net::write(s, net::buffer(req));
  std::string reply;
  beast::error_code ec;
  char buf[512];
  for (;;) {
    size_t n = s.read_some(net::buffer(buf), ec);
    if (ec) break;
    reply.append(buf, n);
  }
  EXPECT_NE(reply.find("HTTP/1.1 4"), std::string::npos) << reply;
  stop();
  EXPECT_EQ(sim_.connected, 0);
}

}  // namespace
}  // namespace sim
