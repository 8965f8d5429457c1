// Test-only WhatsApp-wire client for the simulator's WebSocket server: a Beast WebSocket client
// with our Noise initiator and binary codec on top. Calls block the calling (test) thread with a
// deadline while the async work runs on an io_context thread the test owns, so a broken server
// fails a test instead of hanging it. Used by tests/unit/simulator_net and tests/bench.
//
// Threading: call from one thread that is NOT the io_context's thread; every operation is posted
// to the io_context.
#pragma once

#include "core/net/net.h"  // first

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/noise/frame.h"
#include "wa/noise/handshake.h"

namespace sim::testing {

class WsTestClient {
 public:
  explicit WsTestClient(net::io_context& io,
                        std::chrono::milliseconds deadline = std::chrono::seconds(5))
      : io_(io), ws_(io), deadline_(deadline) {}

  ~WsTestClient() { close_socket(); }

  // TCP connect + WebSocket upgrade on `path`.
  beast::error_code connect(uint16_t port, const std::string& path = "/ws/chat") {
    net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    auto ec = run([&](auto handler) { beast::get_lowest_layer(ws_).async_connect(ep, handler); });
    if (ec) return ec;
    ec = run([&](auto handler) {
      ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(http::field::origin, "https://web.whatsapp.com");
      }));
      ws_.binary(true);
      ws_.async_handshake("127.0.0.1", path, handler);
    });
    return ec;
  }

  beast::error_code write_raw(const core::Bytes& bytes) {
    return run([&](auto handler) { ws_.async_write(net::buffer(bytes), handler); });
  }

  // The next complete frame payload, nullopt on error / close / deadline (see last_error()).
  std::optional<core::Bytes> read_frame() {
    for (;;) {
      auto f = parser_.next();
      if (!f.ok()) return std::nullopt;
      if (f->has_value()) return std::move(**f);
      beast::flat_buffer buffer;
      auto ec = run([&](auto handler) { ws_.async_read(buffer, handler); });
      if (ec) {
        last_error_ = ec;
        return std::nullopt;
      }
      auto d = buffer.cdata();
      parser_.feed(core::ByteView(static_cast<const uint8_t*>(d.data()), d.size()));
    }
  }

  // Intro + clientHello, serverHello, clientFinish(payload). False if any step failed.
  bool noise_handshake(core::ByteView trusted_root, core::ByteView client_payload,
                       core::Random& random) {
    static_key_ = crypto::generate_key_pair(random);
    initiator_.emplace(*static_key_, trusted_root, core::SystemClock::instance(), random);
    auto hello = initiator_->client_hello();
    if (!hello.ok()) return false;
    core::Bytes first = wa::noise::make_intro();
    core::append(first, wa::noise::make_frame(*hello).value());
    if (write_raw(first)) return false;
    auto server_hello = read_frame();
    if (!server_hello) return false;
    auto finish = initiator_->on_server_hello(*server_hello, client_payload);
    if (!finish.ok()) return false;
    if (write_raw(wa::noise::make_frame(*finish).value())) return false;
    auto cipher = initiator_->finish();
    if (!cipher.ok()) return false;
    cipher_.emplace(std::move(*cipher));
    return true;
  }

  beast::error_code send_node(const wa::binary::Node& node) {
    auto sealed = cipher_->encrypt(wa::binary::marshal(node)).value();
    return write_raw(wa::noise::make_frame(sealed).value());
  }

  std::optional<wa::binary::Node> read_node() {
    auto frame = read_frame();
    if (!frame) return std::nullopt;
    auto plain = cipher_->decrypt(*frame);
    if (!plain.ok()) return std::nullopt;
    auto node = wa::binary::unmarshal(*plain);
    if (!node.ok()) return std::nullopt;
    return std::move(*node);
  }

  beast::error_code last_error() const { return last_error_; }
  const crypto::KeyPair& static_key() const { return *static_key_; }

  void close_socket() {
    if (io_.stopped()) {  // nothing runs concurrently any more
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      return;
    }
    std::promise<void> done;
    auto f = done.get_future();
    net::post(io_, [&] {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      done.set_value();
    });
    f.wait_for(deadline_);
  }

 private:
  // Posts `initiate(handler)` to the io_context and waits for the handler's error code.
  template <class Initiate>
  beast::error_code run(Initiate initiate) {
    auto promise = std::make_shared<std::promise<beast::error_code>>();
    auto future = promise->get_future();
    net::post(io_, [&, promise] {
      initiate([promise](beast::error_code ec, auto&&...) { promise->set_value(ec); });
    });
    if (future.wait_for(deadline_) != std::future_status::ready) {
      close_socket();  // completes the pending operation with an error
      future.wait_for(deadline_);
      return net::error::timed_out;
    }
    return future.get();
  }

  net::io_context& io_;
  websocket::stream<beast::tcp_stream> ws_;
  std::chrono::milliseconds deadline_;
  std::optional<crypto::KeyPair> static_key_;
  std::optional<wa::noise::NoiseInitiator> initiator_;
  std::optional<wa::noise::TransportCipher> cipher_;
  wa::noise::FrameParser parser_{wa::noise::kMaxFramePayload, false};
  beast::error_code last_error_;
};

}  // namespace sim::testing
