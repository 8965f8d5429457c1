#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include "gateway/http/internal/ws_session.h"

#include <spdlog/spdlog.h>

#include <deque>

#include "core/log.h"

namespace gw::http::internal {
namespace {

using net::use_awaitable;

std::shared_ptr<spdlog::logger> logger() {
  static auto log = core::get_logger("gw.ws");
  return log;
}

class WsSession final : public WsConnection,
                        public WsRunner,
                        public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(beast::tcp_stream stream,
            boost::beast::http::request<boost::beast::http::empty_body> upgrade, uint64_t id,
            std::string remote, WsSessionOptions options,
            std::function<void(std::shared_ptr<WsConnection>)> opened)
      : ws_(std::move(stream)),
        upgrade_(std::move(upgrade)),
        opened_(std::move(opened)),
        id_(id),
        remote_(std::move(remote)),
        options_(options),
        wake_(ws_.get_executor()) {}

  bool send_text(std::string message) override {
    if (closing_ || closed_) return false;
    if (queued_ + message.size() > options_.max_queue_bytes) {
      logger()->warn("ws {} ({}): client too slow ({} bytes queued); closing", id_, remote_,
                     queued_);
      close(static_cast<uint16_t>(websocket::close_code::policy_error), "too slow");
      return false;
    }
    queued_ += message.size();
    queue_.push_back(std::move(message));
    wake_.cancel();
    return true;
  }

  void close(uint16_t code, std::string reason) override {
    if (closing_ || closed_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    wake_.cancel();
  }

  void on_message(std::function<void(std::string, bool)> fn) override {
    on_message_ = std::move(fn);
  }
  void on_close(std::function<void()> fn) override { on_close_ = std::move(fn); }
  uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_; }
  bool is_open() const override { return !closing_ && !closed_; }
  size_t queued_bytes() const override { return queued_; }

  net::awaitable<void> run() override {
    auto self = shared_from_this();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    websocket::permessage_deflate pmd;
    pmd.server_enable = false;
    ws_.set_option(pmd);
    ws_.read_message_max(options_.max_message);
    co_await ws_.async_accept(upgrade_, net::redirect_error(use_awaitable, ec));
    if (ec) {
      logger()->info("ws {} ({}): upgrade failed: {}", id_, remote_, ec.message());
      finish();
      co_return;
    }
    beast::get_lowest_layer(ws_).expires_never();
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = std::chrono::seconds(60);
    timeouts.keep_alive_pings = true;  // dead peers are noticed within two idle periods
    ws_.set_option(timeouts);

    upgrade_ = {};
    if (opened_) {
      auto opened = std::move(opened_);
      opened(self);
    }
    net::co_spawn(ws_.get_executor(), write_loop(self), net::detached);

    beast::flat_buffer buffer;
    while (!closed_) {
      co_await ws_.async_read(buffer, net::redirect_error(use_awaitable, ec));
      if (ec) break;
      if (on_message_) {
        try {
          on_message_(beast::buffers_to_string(buffer.cdata()), ws_.got_text());
        } catch (const std::exception& e) {
          logger()->error("ws {} ({}): on_message threw: {}", id_, remote_, e.what());
        }
      }
      buffer.consume(buffer.size());
    }
    finish();
  }

 private:
  static net::awaitable<void> write_loop(std::shared_ptr<WsSession> self) {
    beast::error_code ec;
    for (;;) {
      while (self->queue_.empty() && !self->closing_ && !self->closed_) {
        self->wake_.expires_at(net::steady_timer::time_point::max());
        co_await self->wake_.async_wait(net::redirect_error(use_awaitable, ec));
      }
      if (self->closed_) co_return;
      if (self->queue_.empty()) {  // closing, everything flushed
        co_await self->ws_.async_close(self->close_reason_, net::redirect_error(use_awaitable, ec));
        co_return;
      }
      std::string msg = std::move(self->queue_.front());
      self->queue_.pop_front();
      self->ws_.text(true);
      co_await self->ws_.async_write(net::buffer(msg), net::redirect_error(use_awaitable, ec));
      self->queued_ -= msg.size();
      if (ec) {
        self->closed_ = true;
        beast::get_lowest_layer(self->ws_).close();
        co_return;
      }
    }
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    closed_ = true;
    queue_.clear();
    queued_ = 0;
    wake_.cancel();
    if (on_close_) {
      auto fn = std::move(on_close_);
      try {
        fn();
      } catch (const std::exception& e) {
        logger()->error("ws {} ({}): on_close threw: {}", id_, remote_, e.what());
      }
    }
    on_message_ = nullptr;
  }

  websocket::stream<beast::tcp_stream> ws_;
  boost::beast::http::request<boost::beast::http::empty_body> upgrade_;
  std::function<void(std::shared_ptr<WsConnection>)> opened_;
  uint64_t id_;
  std::string remote_;
  WsSessionOptions options_;
  net::steady_timer wake_;
  std::deque<std::string> queue_;
  size_t queued_ = 0;
  bool closing_ = false;
  bool closed_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;
  std::function<void(std::string, bool)> on_message_;
  std::function<void()> on_close_;
};

}  // namespace

std::shared_ptr<WsRunner> make_websocket(
    beast::tcp_stream stream, boost::beast::http::request<boost::beast::http::empty_body> upgrade,
    uint64_t id, std::string remote_address, WsSessionOptions options,
    std::function<void(std::shared_ptr<WsConnection>)> opened) {
  return std::make_shared<WsSession>(std::move(stream), std::move(upgrade), id,
                                     std::move(remote_address), options, std::move(opened));
}

}  // namespace gw::http::internal
