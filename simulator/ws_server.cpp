#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include "simulator/ws_server.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <optional>
#include <unordered_map>

#include "core/log.h"
#include "simulator/connection_intake.h"
#include "wa/binary/printer.h"

namespace sim {
namespace {

using tcp = net::ip::tcp;
using net::use_awaitable;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = core::get_logger("sim.ws");
  return log;
}

// Headroom over the largest logical frame: a WebSocket message may carry a whole frame plus the
// intro and the start of the next frame.
constexpr size_t kMessageSlack = 64 * 1024;

class WsConnection;

}  // namespace

struct WsServer::Impl {
  Impl(net::io_context& io, WsServerOptions opts) : io(io), acceptor(io), options(opts) {}

  net::io_context& io;
  tcp::acceptor acceptor;
  WsServerOptions options;
  Simulator* simulator = nullptr;
  core::Random* random = nullptr;
  bool stopped = false;
  uint64_t next_serial = 1;
  std::unordered_map<uint64_t, std::weak_ptr<WsConnection>> connections;
};

namespace {

class WsConnection final : public ConnectionSink,
                           public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(tcp::socket socket, std::shared_ptr<WsServer::Impl> server, uint64_t serial)
      : ws_(std::move(socket)),
        server_(std::move(server)),
        serial_(serial),
        wake_(ws_.get_executor()),
        delay_timer_(ws_.get_executor()),
        handshake_timer_(ws_.get_executor()),
        intake_(server_->simulator->noise_static_key(), server_->simulator->cert_chain(),
                *server_->random, server_->options.max_frame) {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    peer_ = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  static net::awaitable<void> run(std::shared_ptr<WsConnection> self) { co_await self->serve(); }

  // --- ConnectionSink ---
  void send(const wa::binary::Node& node) override {
    if (closing_ || dropped_ || finished_) return;
    if (logger()->should_log(spdlog::level::trace)) {
      // Structure only (tags, attributes, content sizes): message bodies never reach the logs.
      logger()->trace("conn {} out: {}", serial_, wa::binary::to_xml(node, 0));
    }
    auto frame = intake_.encode_node(node);
    if (!frame.ok()) {
      logger()->error("conn {} ({}): dropping: cannot send <{}>: {}", serial_, peer_, node.tag,
                      frame.status().to_string());
      if (intake_.failed()) drop();
      return;
    }
    queue_.push_back(std::move(*frame));
    wake_.cancel();
  }

  void close() override {
    if (closing_ || dropped_ || finished_) return;
    closing_ = true;
    wake_.cancel();
  }

  void drop() override {
    if (dropped_) return;
    dropped_ = true;
    queue_.clear();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).close();
    wake_.cancel();
    delay_timer_.cancel();
    handshake_timer_.cancel();
  }

 private:
  net::awaitable<void> serve() {
    beast::error_code ec;
    auto& lowest = beast::get_lowest_layer(ws_);
    lowest.socket().set_option(tcp::no_delay(true), ec);

    // The HTTP upgrade is bounded by the same deadline as the whole Noise handshake.
    const auto deadline = std::chrono::steady_clock::now() + server_->options.handshake_timeout;
    lowest.expires_after(server_->options.handshake_timeout);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "superlight-sim"); }));
    websocket::permessage_deflate pmd;
    pmd.server_enable = false;
    ws_.set_option(pmd);
    ws_.read_message_max(server_->options.max_frame + kMessageSlack);
    co_await ws_.async_accept(net::redirect_error(use_awaitable, ec));
    if (ec) {
      logger()->info("conn {} ({}): websocket upgrade failed: {}", serial_, peer_, ec.message());
      finish();
      co_return;
    }
    lowest.expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.binary(true);

    handshake_timer_.expires_at(deadline);
    handshake_timer_.async_wait([weak = weak_from_this()](const beast::error_code& e) {
      if (e) return;
      auto self = weak.lock();
      if (!self || self->intake_.handshake_done() || self->dropped_) return;
      logger()->info("conn {} ({}): closing: noise handshake timed out at {}", self->serial_,
                     self->peer_, self->intake_.stage());
      self->drop();
    });

    net::co_spawn(ws_.get_executor(), write_loop(shared_from_this()), net::detached);

    beast::flat_buffer buffer;
    std::string reason;
    while (!dropped_) {
      co_await ws_.async_read(buffer, net::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec != websocket::error::closed && ec != net::error::operation_aborted &&
            ec != net::error::eof && ec != net::error::connection_reset) {
          reason = ec.message();
        }
        break;
      }
      auto data = buffer.cdata();
      intake_.feed(core::ByteView(static_cast<const uint8_t*>(data.data()), data.size()));
      buffer.consume(buffer.size());
      if (!dispatch()) break;
    }
    if (!reason.empty() && !dropped_) {
      logger()->info("conn {} ({}): read ended: {}", serial_, peer_, reason);
    }
    finish();
  }

  // Pulls every complete event out of the intake. False once the connection must end.
  bool dispatch() {
    for (;;) {
      if (dropped_) return false;
      auto event = intake_.next();
      if (!event.ok()) {
        logger()->info("conn {} ({}): closing: {}", serial_, peer_, event.status().to_string());
        drop();
        return false;
      }
      if (!event->has_value()) return true;
      IntakeEvent& ev = **event;
      switch (ev.kind) {
        case IntakeEvent::Kind::kWrite:
          queue_.push_back(std::move(ev.bytes));
          wake_.cancel();
          break;
        case IntakeEvent::Kind::kClientPayload:
          handshake_timer_.cancel();
          conn_id_ = server_->simulator->on_connected(shared_from_this());
          server_->simulator->on_client_payload(*conn_id_, ev.client_static, ev.bytes);
          break;
        case IntakeEvent::Kind::kNode:
          // After close() the core has finished with this connection; late frames are moot.
          if (closing_) break;
          if (logger()->should_log(spdlog::level::trace)) {
            logger()->trace("conn {} in: {}", serial_, wa::binary::to_xml(ev.node, 0));
          }
          server_->simulator->on_node(*conn_id_, ev.node);
          break;
      }
    }
  }

  static net::awaitable<void> write_loop(std::shared_ptr<WsConnection> self) {
    beast::error_code ec;
    for (;;) {
      while (self->queue_.empty() && !self->closing_ && !self->dropped_ && !self->finished_) {
        self->wake_.expires_at(net::steady_timer::time_point::max());
        co_await self->wake_.async_wait(net::redirect_error(use_awaitable, ec));
      }
      if (self->dropped_ || self->finished_) co_return;
      if (self->queue_.empty()) {  // closing and flushed
        co_await self->ws_.async_close(websocket::close_code::normal,
                                       net::redirect_error(use_awaitable, ec));
        co_return;
      }
      int delay = self->conn_id_ ? self->server_->simulator->outgoing_delay_ms(*self->conn_id_) : 0;
      if (delay > 0) {
        self->delay_timer_.expires_after(std::chrono::milliseconds(delay));
        co_await self->delay_timer_.async_wait(net::redirect_error(use_awaitable, ec));
        if (self->dropped_ || self->finished_) co_return;
      }
      if (self->queue_.empty()) continue;
      core::Bytes frame = std::move(self->queue_.front());
      self->queue_.pop_front();
      co_await self->ws_.async_write(net::buffer(frame), net::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!self->dropped_ && !self->finished_) {
          logger()->info("conn {} ({}): write failed: {}", self->serial_, self->peer_,
                         ec.message());
          self->drop();
        }
        co_return;
      }
    }
  }

  // The read side ended: tell the core once, wake the writer so it exits, forget us.
  void finish() {
    if (finished_) return;
    finished_ = true;
    wake_.cancel();
    delay_timer_.cancel();
    handshake_timer_.cancel();
    if (!dropped_) {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
    }
    server_->connections.erase(serial_);
    if (conn_id_) server_->simulator->on_disconnected(*conn_id_);
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<WsServer::Impl> server_;
  uint64_t serial_;
  std::string peer_;
  net::steady_timer wake_;
  net::steady_timer delay_timer_;
  net::steady_timer handshake_timer_;
  ConnectionIntake intake_;
  std::deque<core::Bytes> queue_;
  std::optional<ConnId> conn_id_;
  bool closing_ = false;
  bool dropped_ = false;
  bool finished_ = false;
};

net::awaitable<void> accept_loop(std::shared_ptr<WsServer::Impl> impl) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket(impl->io);
    co_await impl->acceptor.async_accept(socket, net::redirect_error(use_awaitable, ec));
    if (impl->stopped) co_return;
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      // EMFILE and friends: back off briefly instead of spinning.
      logger()->warn("accept failed: {}", ec.message());
      net::steady_timer t(impl->io, std::chrono::milliseconds(100));
      co_await t.async_wait(net::redirect_error(use_awaitable, ec));
      continue;
    }
    uint64_t serial = impl->next_serial++;
    auto conn = std::make_shared<WsConnection>(std::move(socket), impl, serial);
    impl->connections.emplace(serial, conn);
    net::co_spawn(impl->io, WsConnection::run(conn), net::detached);
  }
}

}  // namespace

WsServer::WsServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

WsServer::~WsServer() {
  if (impl_) stop();
}

core::Result<std::unique_ptr<WsServer>> WsServer::listen(net::io_context& io,
                                                         const std::string& host, uint16_t port,
                                                         WsServerOptions options) {
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) return core::Status::invalid_argument("bad listen address '" + host + "'");
  auto impl = std::make_shared<Impl>(io, options);
  tcp::endpoint ep(address, port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Status::unavailable("websocket listener on " + host + ":" + std::to_string(port) +
                                     ": " + ec.message());
  }
  return std::unique_ptr<WsServer>(new WsServer(std::move(impl)));
}

uint16_t WsServer::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void WsServer::start(Simulator& simulator, core::Random& random) {
  impl_->simulator = &simulator;
  impl_->random = &random;
  net::co_spawn(impl_->io, accept_loop(impl_), net::detached);
}

void WsServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  // drop() may erase from the map (through finish() later), so collect first.
  std::vector<std::shared_ptr<WsConnection>> live;
  for (auto& [serial, weak] : impl_->connections) {
    if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) c->drop();
}

size_t WsServer::open_connections() const { return impl_->connections.size(); }

}  // namespace sim
