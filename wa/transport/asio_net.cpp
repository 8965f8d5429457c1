#include "wa/transport/asio_net.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <list>
#include <mutex>

namespace wa::transport {
namespace {

namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// ---------------------------------------------------------------- scheduler

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(std::shared_ptr<net::steady_timer> t) : timer_(std::move(t)) {}
  ~AsioTimer() override { cancel(); }
  void cancel() override {
    if (timer_) {
      timer_->cancel();
      timer_.reset();
    }
  }

 private:
  std::shared_ptr<net::steady_timer> timer_;
};

class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(net::any_io_executor ex) : ex_(std::move(ex)) {}
  std::unique_ptr<Timer> after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<net::steady_timer>(ex_, delay);
    // The handler owns the callback; cancel() makes it see operation_aborted and drop it.
    timer->async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
    return std::make_unique<AsioTimer>(std::move(timer));
  }
  void post(std::function<void()> fn) override { net::post(ex_, std::move(fn)); }

 private:
  net::any_io_executor ex_;
};

// ---------------------------------------------------------------- TLS

core::Result<std::shared_ptr<ssl::context>> make_tls_context(const TlsConfig& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  if (tls.insecure) {
    ctx->set_verify_mode(ssl::verify_none, ec);
    return ctx;
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  ctx->set_default_verify_paths(ec);
  if (!tls.ca_pem.empty()) {
    ctx->add_certificate_authority(net::buffer(tls.ca_pem), ec);
    if (ec) return core::Status::invalid_argument("bad CA PEM: " + ec.message());
  }
  if (!tls.ca_file.empty()) {
    ctx->load_verify_file(tls.ca_file, ec);
    if (ec) return core::Status::invalid_argument("bad CA file: " + ec.message());
  }
  return ctx;
}

class TlsCache {
 public:
  core::Result<std::shared_ptr<ssl::context>> get(const TlsConfig& tls) {
    std::lock_guard lock(mu_);
    std::string key = (tls.insecure ? "1" : "0") + tls.ca_file + "\n" + tls.ca_pem;
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    auto ctx = make_tls_context(tls);
    if (!ctx.ok()) return ctx.status();
    cache_[key] = *ctx;
    return *ctx;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<ssl::context>> cache_;
};

TlsCache& tls_cache() {
  static TlsCache cache;
  return cache;
}

core::Status net_error(std::string_view what, const boost::system::error_code& ec) {
  if (ec == net::error::timed_out || ec == beast::error::timeout) {
    return core::Status::deadline_exceeded(std::string(what) + ": timed out");
  }
  return core::Status::unavailable(std::string(what) + ": " + ec.message());
}

// ---------------------------------------------------------------- WebSocket

template <class Stream>
class BeastSession : public std::enable_shared_from_this<BeastSession<Stream>> {
 public:
  BeastSession(net::any_io_executor ex, TransportConfig config, ParsedUrl url,
               std::shared_ptr<ssl::context> tls)
      : ex_(ex),
        config_(std::move(config)),
        url_(std::move(url)),
        tls_(std::move(tls)),
        resolver_(ex),
        ws_(make_stream(ex, tls_.get())) {}

  void open(WebSocketChannel::Handlers handlers) {
    handlers_ = std::move(handlers);
    beast::get_lowest_layer(ws_).expires_after(config_.connect_timeout);
    resolver_.async_resolve(url_.host, url_.port,
                            [self = this->shared_from_this()](boost::system::error_code ec,
                                                              tcp::resolver::results_type results) {
                              if (ec) return self->fail_open(net_error("resolve", ec));
                              beast::get_lowest_layer(self->ws_).async_connect(
                                  results,
                                  [self](boost::system::error_code ec, const tcp::endpoint&) {
                                    if (ec) return self->fail_open(net_error("connect", ec));
                                    self->after_tcp();
                                  });
                            });
  }

  void send(core::Bytes message) {
    if (closed_) return;
    queue_.push_back(std::move(message));
    if (open_ && !writing_) write_next();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    handlers_ = {};
    queue_.clear();
    resolver_.cancel();
    if (open_ && !writing_) {
      // A polite close; the lowest layer is closed if the peer does not answer quickly. (With a
      // write in flight Beast allows no new deadline, so then the socket is simply closed.)
      beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
      ws_.async_close(websocket::close_code::normal,
                      [self = this->shared_from_this()](boost::system::error_code) {
                        beast::get_lowest_layer(self->ws_).close();
                      });
    } else {
      beast::get_lowest_layer(ws_).close();
    }
  }

 private:
  static Stream make_stream(net::any_io_executor ex, ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, websocket::stream<beast::tcp_stream>>) {
      (void)tls;
      return Stream(ex);
    } else {
      return Stream(ex, *tls);
    }
  }

  void after_tcp() {
    if (closed_) return;
    if constexpr (std::is_same_v<Stream, websocket::stream<beast::tcp_stream>>) {
      ws_handshake();
    } else {
      auto& tls_stream = ws_.next_layer();
      if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), url_.host.c_str())) {
        return fail_open(core::Status::internal("cannot set TLS SNI"));
      }
      tls_stream.set_verify_callback(ssl::rfc2818_verification(url_.host));
      tls_stream.async_handshake(ssl::stream_base::client,
                                 [self = this->shared_from_this()](boost::system::error_code ec) {
                                   if (ec) return self->fail_open(net_error("TLS handshake", ec));
                                   self->ws_handshake();
                                 });
    }
  }

  void ws_handshake() {
    if (closed_) return;
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout opt{};
    opt.handshake_timeout = config_.connect_timeout;
    opt.idle_timeout = websocket::stream_base::none();  // keepalive is the client's job (w:p)
    opt.keep_alive_pings = false;
    ws_.set_option(opt);
    auto headers = config_.headers;
    auto origin = config_.origin;
    ws_.set_option(
        websocket::stream_base::decorator([headers, origin](websocket::request_type& req) {
          if (!origin.empty()) req.set(http::field::origin, origin);
          req.set(http::field::user_agent, "superlight");
          for (const auto& [k, v] : headers) req.set(k, v);
        }));
    ws_.binary(true);
    // Beast keeps a masking buffer of this size per client for its lifetime; frames larger
    // than it are still sent whole (just masked in chunks).
    ws_.write_buffer_bytes(1024);
    std::string host = url_.host;
    if (!((url_.tls && url_.port == "443") || (!url_.tls && url_.port == "80"))) {
      host += ":" + url_.port;
    }
    ws_.async_handshake(host, url_.target,
                        [self = this->shared_from_this()](boost::system::error_code ec) {
                          if (ec) return self->fail_open(net_error("WebSocket upgrade", ec));
                          self->open_ = true;
                          if (self->handlers_.on_open) self->handlers_.on_open(core::Status());
                          self->read_next();
                          if (!self->queue_.empty() && !self->writing_) self->write_next();
                        });
  }

  void fail_open(core::Status status) {
    if (closed_) return;
    closed_ = true;
    auto h = std::move(handlers_.on_open);
    handlers_ = {};
    beast::get_lowest_layer(ws_).close();
    if (h) h(std::move(status));
  }

  void fail(core::Status status) {
    if (closed_) return;
    closed_ = true;
    auto h = std::move(handlers_.on_closed);
    handlers_ = {};
    queue_.clear();
    beast::get_lowest_layer(ws_).close();
    if (h) h(std::move(status));
  }

  void read_next() {
    if (closed_) return;
    ws_.async_read(
        buffer_, [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
          if (ec) {
            if (ec == websocket::error::closed) {
              return self->fail(core::Status::unavailable("server closed the WebSocket"));
            }
            return self->fail(net_error("read", ec));
          }
          if (self->closed_) return;
          auto data = self->buffer_.data();
          const auto* p = static_cast<const uint8_t*>(data.data());
          core::Bytes msg(p, p + data.size());
          self->buffer_.consume(data.size());
          // Idle clients should not keep a large read buffer around after one big message.
          if (self->buffer_.capacity() > 16384) self->buffer_.shrink_to_fit();
          if (self->handlers_.on_message) self->handlers_.on_message(std::move(msg));
          self->read_next();
        });
  }

  void write_next() {
    if (closed_ || queue_.empty()) return;
    writing_ = true;
    ws_.async_write(net::buffer(queue_.front()),
                    [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec) return self->fail(net_error("write", ec));
                      if (self->closed_) return;
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) self->write_next();
                    });
  }

  net::any_io_executor ex_;
  TransportConfig config_;
  ParsedUrl url_;
  std::shared_ptr<ssl::context> tls_;
  tcp::resolver resolver_;
  Stream ws_;
  beast::flat_buffer buffer_;
  std::list<core::Bytes> queue_;  // a list holds no memory while idle (a deque keeps ~600 B)
  WebSocketChannel::Handlers handlers_;
  bool open_ = false;
  bool closed_ = false;
  bool writing_ = false;  // Beast allows one write in flight
};

template <class Stream>
class BeastChannel final : public WebSocketChannel {
 public:
  explicit BeastChannel(std::shared_ptr<BeastSession<Stream>> s) : session_(std::move(s)) {}
  ~BeastChannel() override { session_->close(); }
  void open(Handlers handlers) override { session_->open(std::move(handlers)); }
  void send(core::Bytes message) override { session_->send(std::move(message)); }
  void close() override { session_->close(); }

 private:
  std::shared_ptr<BeastSession<Stream>> session_;
};

// A channel that fails on open (bad URL or TLS configuration), reported asynchronously.
class FailedChannel final : public WebSocketChannel {
 public:
  FailedChannel(net::any_io_executor ex, core::Status s) : ex_(ex), status_(std::move(s)) {}
  void open(Handlers handlers) override {
    auto alive = alive_;
    net::post(ex_, [alive, h = std::move(handlers.on_open), s = status_] {
      if (*alive && h) h(s);
    });
  }
  void send(core::Bytes) override {}
  void close() override { *alive_ = false; }
  ~FailedChannel() override { *alive_ = false; }

 private:
  net::any_io_executor ex_;
  core::Status status_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class BeastChannelFactory final : public ChannelFactory {
 public:
  explicit BeastChannelFactory(net::any_io_executor ex) : ex_(std::move(ex)) {}
  std::unique_ptr<WebSocketChannel> create(const TransportConfig& config) override {
    auto url = parse_url(config.url);
    if (!url.ok()) return std::make_unique<FailedChannel>(ex_, url.status());
    if (!url->tls) {
      using S = websocket::stream<beast::tcp_stream>;
      return std::make_unique<BeastChannel<S>>(
          std::make_shared<BeastSession<S>>(ex_, config, *url, nullptr));
    }
    auto tls = tls_cache().get(config.tls);
    if (!tls.ok()) return std::make_unique<FailedChannel>(ex_, tls.status());
    using S = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
    return std::make_unique<BeastChannel<S>>(
        std::make_shared<BeastSession<S>>(ex_, config, *url, *tls));
  }

 private:
  net::any_io_executor ex_;
};

// ---------------------------------------------------------------- HTTP(S)

template <class Stream>
class HttpOp : public std::enable_shared_from_this<HttpOp<Stream>> {
 public:
  using Done = std::function<void(core::Result<HttpResponse>)>;
  HttpOp(net::any_io_executor ex, std::shared_ptr<ssl::context> tls, ParsedUrl url, HttpRequest req,
         Done done)
      : tls_(std::move(tls)),
        url_(std::move(url)),
        req_(std::move(req)),
        done_(std::move(done)),
        resolver_(ex),
        stream_(make_stream(ex, tls_.get())) {}

  void start() {
    beast::get_lowest_layer(stream_).expires_after(req_.timeout);
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = this->shared_from_this()](boost::system::error_code ec,
                                          tcp::resolver::results_type r) {
          if (ec) return self->finish(net_error("resolve", ec));
          beast::get_lowest_layer(self->stream_)
              .async_connect(r, [self](boost::system::error_code ec, const tcp::endpoint&) {
                if (ec) return self->finish(net_error("connect", ec));
                self->after_tcp();
              });
        });
  }

 private:
  static Stream make_stream(net::any_io_executor ex, ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      (void)tls;
      return Stream(ex);
    } else {
      return Stream(ex, *tls);
    }
  }

  void after_tcp() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      write_request();
    } else {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
        return finish(core::Status::internal("cannot set TLS SNI"));
      }
      stream_.set_verify_callback(ssl::rfc2818_verification(url_.host));
      stream_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](boost::system::error_code ec) {
                                if (ec) return self->finish(net_error("TLS handshake", ec));
                                self->write_request();
                              });
    }
  }

  void write_request() {
    request_.method_string(req_.method);
    request_.target(url_.target);
    request_.version(11);
    std::string host = url_.host;
    if (!((url_.tls && url_.port == "443") || (!url_.tls && url_.port == "80"))) {
      host += ":" + url_.port;
    }
    request_.set(http::field::host, host);
    request_.set(http::field::user_agent, "superlight");
    for (const auto& [k, v] : req_.headers) request_.set(k, v);
    request_.body() = std::string(req_.body.begin(), req_.body.end());
    request_.prepare_payload();
    http::async_write(stream_, request_,
                      [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
                        if (ec) return self->finish(net_error("HTTP write", ec));
                        self->parser_.body_limit(self->req_.max_response_bytes);
                        http::async_read(self->stream_, self->buffer_, self->parser_,
                                         [self](boost::system::error_code ec, size_t) {
                                           if (ec) return self->finish(net_error("HTTP read", ec));
                                           HttpResponse r;
                                           auto& msg = self->parser_.get();
                                           r.status = static_cast<int>(msg.result_int());
                                           r.body.assign(msg.body().begin(), msg.body().end());
                                           self->finish(std::move(r));
                                         });
                      });
  }

  void finish(core::Result<HttpResponse> r) {
    if (!done_) return;
    auto d = std::move(done_);
    done_ = nullptr;
    boost::system::error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
    d(std::move(r));
  }

  std::shared_ptr<ssl::context> tls_;
  ParsedUrl url_;
  HttpRequest req_;
  Done done_;
  tcp::resolver resolver_;
  Stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response_parser<http::string_body> parser_;
};

class BeastHttpClient final : public HttpClient {
 public:
  BeastHttpClient(net::any_io_executor ex, TlsConfig tls)
      : ex_(std::move(ex)), tls_(std::move(tls)) {}
  void request(HttpRequest request, std::function<void(core::Result<HttpResponse>)> done) override {
    auto url = parse_url(request.url);
    if (!url.ok()) {
      net::post(ex_, [done = std::move(done), s = url.status()] { done(s); });
      return;
    }
    if (!url->tls) {
      std::make_shared<HttpOp<beast::tcp_stream>>(ex_, nullptr, *url, std::move(request),
                                                  std::move(done))
          ->start();
      return;
    }
    auto ctx = tls_cache().get(tls_);
    if (!ctx.ok()) {
      net::post(ex_, [done = std::move(done), s = ctx.status()] { done(s); });
      return;
    }
    std::make_shared<HttpOp<beast::ssl_stream<beast::tcp_stream>>>(
        ex_, *ctx, *url, std::move(request), std::move(done))
        ->start();
  }

 private:
  net::any_io_executor ex_;
  TlsConfig tls_;
};

}  // namespace

std::unique_ptr<Scheduler> make_asio_scheduler(net::any_io_executor executor) {
  return std::make_unique<AsioScheduler>(std::move(executor));
}

std::unique_ptr<ChannelFactory> make_beast_channel_factory(net::any_io_executor executor) {
  return std::make_unique<BeastChannelFactory>(std::move(executor));
}

std::unique_ptr<HttpClient> make_beast_http_client(net::any_io_executor executor, TlsConfig tls) {
  return std::make_unique<BeastHttpClient>(std::move(executor), std::move(tls));
}

}  // namespace wa::transport

namespace wa::transport {

AsioClientEnvironment make_asio_client_environment(net::any_io_executor executor,
                                                   TransportConfig config, TlsConfig media_tls,
                                                   core::Clock& clock, core::Random& random) {
  AsioClientEnvironment env;
  env.scheduler = make_asio_scheduler(executor);
  env.channels = make_beast_channel_factory(executor);
  env.transports = std::make_unique<NoiseTransportFactory>(*env.channels, std::move(config),
                                                           *env.scheduler, clock, random);
  env.http = make_beast_http_client(executor, std::move(media_tls));
  return env;
}

}  // namespace wa::transport
