#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include "gateway/http/server.h"

#include <spdlog/spdlog.h>

#include <limits>
#include <unordered_map>

#include "core/log.h"
#include "gateway/http/internal/ws_session.h"
#include "gateway/http/multipart.h"
#include "gateway/metrics.h"

namespace gw::http {

namespace bh = boost::beast::http;
using tcp = net::ip::tcp;
using net::use_awaitable;

namespace {

std::shared_ptr<spdlog::logger> logger() {
  static auto log = core::get_logger("gw.http");
  return log;
}

constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'";

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bh::make_error_code(bh::error::bad_target).category() &&
         ec != bh::error::end_of_stream && ec != bh::error::partial_message;
}

}  // namespace

class HttpConnection;

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(net::io_context& io, const Router& router, ServerOptions options, Metrics* metrics)
      : io(io),
        acceptor(io),
        router(router),
        options(std::move(options)),
        metrics(metrics),
        grace_timer(io) {}

  net::io_context& io;
  tcp::acceptor acceptor;
  const Router& router;
  ServerOptions options;
  Metrics* metrics;
  std::vector<WsEndpoint> ws_endpoints;
  std::unordered_map<uint64_t, std::weak_ptr<HttpConnection>> connections;
  uint64_t next_connection_id = 1;
  uint64_t next_request_id = 1;
  uint16_t bound_port = 0;
  bool stopping = false;
  bool done_reported = false;
  std::vector<std::function<void()>> done_callbacks;
  net::steady_timer grace_timer;

  net::awaitable<void> accept_loop();
  void begin_shutdown(std::function<void()> done);
  void connection_ended(uint64_t id);
  void report_done();
  void gauge() {
    if (metrics) {
      metrics->set_gauge("superlight_http_connections_active", {},
                         static_cast<double>(connections.size()));
    }
  }
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(tcp::socket socket, std::shared_ptr<Server::Impl> server, uint64_t id)
      : stream_(std::move(socket)), server_(std::move(server)), id_(id) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        addr = net::ip::make_address_v4(net::ip::v4_mapped, addr.to_v6());
      }
      peer_ = addr.to_string();
    }
  }

  static net::awaitable<void> run(std::shared_ptr<HttpConnection> self) {
    try {
      co_await self->serve();
    } catch (const std::exception& e) {
      logger()->error("connection {}: {}", self->id_, e.what());
    }
    if (!self->stream_moved_) {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    }
    self->server_->connection_ended(self->id_);
  }

  // Shutdown: an idle connection is closed now; a busy one finishes its request first.
  void on_shutdown() {
    if (ws_) {
      ws_->close(static_cast<uint16_t>(websocket::close_code::going_away), "server shutting down");
    } else if (idle_ && !stream_moved_) {
      beast::error_code ec;
      stream_.socket().cancel(ec);
    }
  }

 private:
  struct Pending {
    std::optional<Response> response;
  };

  net::awaitable<void> serve();
  net::awaitable<bool> write(const Request* req, Response res, bool keep_alive,
                             std::chrono::steady_clock::time_point start);
  net::awaitable<void> write_error(int status, std::string_view code, std::string_view message,
                                   bool seed = false) {
    auto r =
        seed ? Response::seed_error(status, code, message) : Response::error(status, code, message);
    co_await write(nullptr, std::move(r), false, std::chrono::steady_clock::now());
  }
  RequestPtr make_request(const bh::request_parser<bh::empty_body>& parser);
  const WsEndpoint* ws_endpoint(std::string_view path) const {
    for (const auto& ep : server_->ws_endpoints) {
      for (const auto& p : ep.paths) {
        if (p == path) return &ep;
      }
    }
    return nullptr;
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Server::Impl> server_;
  uint64_t id_;
  std::string peer_ = "?";
  beast::flat_buffer buffer_;
  bool idle_ = true;
  bool stream_moved_ = false;  // handed to the WebSocket session
  std::shared_ptr<WsConnection> ws_;
  // Metrics label and log fields of the request being answered.
  std::string route_label_;
  std::string method_;
  std::string path_;
};

RequestPtr HttpConnection::make_request(const bh::request_parser<bh::empty_body>& parser) {
  const auto& h = parser.get();
  auto req = std::make_shared<Request>();
  req->id = server_->next_request_id++;
  req->method = std::string(h.method_string());
  req->set_target(std::string(h.target()));
  for (const auto& f : h) req->headers.add(std::string(f.name_string()), std::string(f.value()));
  req->peer_address = peer_;
  const auto& trust = server_->options.trust_proxy;
  req->remote_address = trust.client_address(peer_, req->headers.get("x-forwarded-for"));
  req->secure = server_->options.https;
  if (!req->secure && trust.trusts_peer(peer_)) {
    if (auto proto = req->headers.get("x-forwarded-proto")) {
      auto first = proto->substr(0, proto->find(','));
      while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
      req->secure = iequals(first, "https");
    }
  }
  return req;
}

net::awaitable<void> HttpConnection::serve() {
  auto& opts = server_->options;
  beast::error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  bool first = true;
  for (;;) {
    idle_ = true;
    if (server_->stopping) co_return;
    // Wait for the first byte of the next request: the keep-alive idle timeout applies (the
    // header deadline for the very first request).
    if (buffer_.size() == 0) {
      stream_.expires_after(first ? opts.header_timeout : opts.idle_timeout);
      size_t n = co_await stream_.async_read_some(buffer_.prepare(8192),
                                                  net::redirect_error(use_awaitable, ec));
      if (ec) co_return;  // idle timeout, peer closed, or shutdown cancelled the read
      buffer_.commit(n);
    }
    first = false;
    idle_ = false;
    const auto start = std::chrono::steady_clock::now();
    route_label_ = "unmatched";
    method_.clear();
    path_.clear();

    // The whole header must arrive within header_timeout of its first byte (slowloris).
    stream_.expires_after(opts.header_timeout);
    bh::request_parser<bh::empty_body> hp;
    hp.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    hp.body_limit((std::numeric_limits<std::uint64_t>::max)());  // checked per route below
    co_await bh::async_read_header(stream_, buffer_, hp, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == bh::error::header_limit) {
        co_await write_error(431, "header_too_large", "request header fields too large");
      } else if (ec == beast::error::timeout) {
        logger()->info("conn {} ({}): closing: request header not received in time", id_, peer_);
      } else if (is_parse_error(ec)) {
        co_await write_error(400, "bad_request", "malformed HTTP request");
      }
      co_return;
    }

    RequestPtr req = make_request(hp);
    method_ = req->method;
    path_ = req->path;
    bool keep_alive = hp.get().keep_alive() && !server_->stopping;

    // WebSocket upgrade.
    if (websocket::is_upgrade(hp.get())) {
      if (const WsEndpoint* ep = ws_endpoint(req->path)) {
        if (ep->admit) {
          std::optional<Response> refusal;
          try {
            refusal = ep->admit(*req);
          } catch (const std::exception& e) {
            logger()->error("websocket admit threw: {}", e.what());
            refusal = Response::error(500, "internal_error", "internal server error");
          }
          if (refusal) {
            route_label_ = "websocket";
            co_await write(req.get(), std::move(*refusal), false, start);
            co_return;
          }
        }
        stream_.expires_never();
        if (opts.log_requests) {
          logger()->info("{} {} 101 {} (websocket)", req->method, req->path, req->remote_address);
        }
        if (server_->metrics) {
          server_->metrics->inc(
              "superlight_http_requests_total",
              {{"method", req->method}, {"route", "websocket"}, {"status", "101"}});
        }
        WsEndpoint endpoint = *ep;
        std::weak_ptr<HttpConnection> weak = shared_from_this();
        std::function<void(std::shared_ptr<WsConnection>)> opened =
            [weak, endpoint = std::move(endpoint), req](std::shared_ptr<WsConnection> conn) {
              auto self = weak.lock();
              if (self) {
                self->ws_ = conn;
                if (self->server_->stopping) conn->close(1001, "server shutting down");
              }
              if (endpoint.on_open) endpoint.on_open(req, std::move(conn));
            };
        stream_moved_ = true;
        // Built outside the co_await expression (see internal/ws_session.h).
        std::shared_ptr<internal::WsRunner> runner = internal::make_websocket(
            std::move(stream_), hp.release(), id_, req->remote_address,
            internal::WsSessionOptions{opts.ws_max_message, opts.ws_max_queue_bytes},
            std::move(opened));
        co_await runner->run();
        ws_.reset();
        co_return;
      }
    }

    Match match = server_->router.match(req->method, req->path);
    const RouteOptions& ro = match.options();
    if (match.kind == Match::Kind::kFound) route_label_ = match.route->pattern;
    if (match.kind == Match::Kind::kFallback) route_label_ = "static";

    const auto content_length = hp.content_length();
    const bool has_body = (content_length && *content_length > 0) || hp.chunked();
    const auto content_type = req->headers.get("content-type").value_or("");
    const bool multipart = ro.multipart && is_multipart_form(content_type);
    const uint64_t limit =
        ro.body_limit ? ro.body_limit : (multipart ? opts.upload_limit : opts.body_limit);
    const bool routed = match.kind == Match::Kind::kFound || match.kind == Match::Kind::kFallback;

    if (has_body && !routed) {
      // 404/405 with a body: answer without reading it, then close.
      keep_alive = false;
    } else if (has_body && content_length && *content_length > limit) {
      // Named first: no non-trivial temporaries inside co_await expressions (GCC 12).
      Response too_large =
          Response::error_for(*req, 413, "payload_too_large",
                              "request body exceeds " + std::to_string(limit) + " bytes");
      co_await write(req.get(), std::move(too_large), false, start);
      co_return;
    } else if (has_body) {
      if (auto expect = req->headers.get("expect"); expect && iequals(*expect, "100-continue")) {
        static const std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        stream_.expires_after(opts.write_timeout);
        co_await net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                                  net::redirect_error(use_awaitable, ec));
        if (ec) co_return;
      }
      stream_.expires_after(opts.body_timeout);
      std::optional<Response> body_error;
      if (multipart) {
        auto boundary = multipart_boundary(content_type);
        if (!boundary.ok()) {
          Response bad_type = Response::from_status(*req, boundary.status());
          co_await write(req.get(), std::move(bad_type), false, start);
          co_return;
        }
        MultipartLimits ml;
        ml.max_file_bytes = limit;
        FormCollector collector(opts.upload_dir, ml);
        MultipartParser parser(*boundary, collector, ml);
        bh::request_parser<bh::buffer_body> bp(std::move(hp));
        bp.body_limit(limit);
        std::vector<char> chunk(64 * 1024);
        core::Status st;
        while (!bp.is_done()) {
          bp.get().body().data = chunk.data();
          bp.get().body().size = chunk.size();
          co_await bh::async_read(stream_, buffer_, bp, net::redirect_error(use_awaitable, ec));
          if (ec == bh::error::need_buffer) ec = {};
          if (ec) break;
          const size_t n = chunk.size() - bp.get().body().size;
          st = parser.feed(std::string_view(chunk.data(), n));
          if (!st.ok()) break;
        }
        if (!ec && st.ok()) st = parser.finish();
        if (ec == bh::error::body_limit) {
          body_error = Response::error_for(*req, 413, "payload_too_large",
                                           "upload exceeds " + std::to_string(limit) + " bytes");
        } else if (ec == beast::error::timeout) {
          body_error =
              Response::error_for(*req, 408, "timeout", "request body not received in time");
        } else if (ec && is_parse_error(ec)) {
          body_error = Response::error_for(*req, 400, "bad_request", "malformed HTTP body");
        } else if (ec) {
          co_return;
        } else if (!st.ok()) {
          body_error = st.code() == core::StatusCode::kOutOfRange
                           ? Response::error_for(*req, 413, "payload_too_large", st.message())
                           : Response::from_status(*req, st);
        } else {
          req->form = collector.take();
        }
      } else {
        bh::request_parser<bh::string_body> sp(std::move(hp));
        sp.body_limit(limit);
        co_await bh::async_read(stream_, buffer_, sp, net::redirect_error(use_awaitable, ec));
        if (ec == bh::error::body_limit) {
          body_error =
              Response::error_for(*req, 413, "payload_too_large",
                                  "request body exceeds " + std::to_string(limit) + " bytes");
        } else if (ec == beast::error::timeout) {
          body_error =
              Response::error_for(*req, 408, "timeout", "request body not received in time");
        } else if (ec && is_parse_error(ec)) {
          body_error = Response::error_for(*req, 400, "bad_request", "malformed HTTP body");
        } else if (ec) {
          co_return;
        } else {
          req->body = std::move(sp.get().body());
        }
      }
      if (body_error) {
        // The rest of the body is unread: the connection cannot be reused.
        co_await write(req.get(), std::move(*body_error), false, start);
        co_return;
      }
    }

    // Dispatch and wait for the Responder, which may be called from any thread.
    auto pending = std::make_shared<Pending>();
    auto wait = std::make_shared<net::steady_timer>(stream_.get_executor());
    wait->expires_after(opts.handler_timeout);
    auto executor = stream_.get_executor();
    Responder respond([pending, wait, executor](Response r) {
      net::post(executor, [pending, wait, r = std::move(r)]() mutable {
        if (pending->response) return;
        pending->response = std::move(r);
        wait->cancel();
      });
    });
    server_->router.dispatch(req, std::move(match), std::move(respond));
    while (!pending->response) {
      co_await wait->async_wait(net::redirect_error(use_awaitable, ec));
      if (!ec) break;  // handler timeout
    }
    Response res;
    if (pending->response) {
      res = std::move(*pending->response);
    } else {
      logger()->error("{} {}: handler did not answer within {} ms", req->method, req->path,
                      opts.handler_timeout.count());
      pending->response = Response::empty(0);  // a late answer is dropped
      res = Response::error_for(*req, 503, "timeout", "the server took too long to answer");
      keep_alive = false;
    }
    if (server_->stopping) keep_alive = false;
    if (!co_await write(req.get(), std::move(res), keep_alive, start)) co_return;
    if (!keep_alive) co_return;
  }
}

net::awaitable<bool> HttpConnection::write(const Request* req, Response res, bool keep_alive,
                                           std::chrono::steady_clock::time_point start) {
  auto& opts = server_->options;
  beast::error_code ec;
  if (res.close) keep_alive = false;
  const bool head = req && req->method == "HEAD";
  const bool secure = req ? req->secure : opts.https;

  Headers& h = res.headers;
  h.set_if_absent("Content-Security-Policy", std::string(kCsp));
  h.set_if_absent("X-Content-Type-Options", "nosniff");
  h.set_if_absent("X-Frame-Options", "DENY");
  h.set_if_absent("Referrer-Policy", "no-referrer");
  h.set_if_absent("Cross-Origin-Opener-Policy", "same-origin");
  if (secure) h.set_if_absent("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  if (!h.has("Cache-Control") && res.file.empty()) h.set("Cache-Control", "no-store");

  const bool no_body =
      res.status == 204 || res.status == 304 || (res.status >= 100 && res.status < 200);
  auto fill = [&](auto& msg) {
    msg.result(static_cast<unsigned>(res.status));
    msg.version(11);
    for (const auto& [k, v] : h.entries()) msg.insert(k, v);
    msg.keep_alive(keep_alive);
  };

  stream_.expires_after(opts.write_timeout);
  if (!res.file.empty() && !no_body) {
    bh::file_body::value_type file;
    file.open(res.file.c_str(), beast::file_mode::scan, ec);
    if (ec) {
      res = Response::error(404, "not_found", "file not found");
      res.headers = h;
      res.headers.set("Content-Type", "application/json; charset=utf-8");
      res.file.clear();
      co_return co_await write(req, std::move(res), keep_alive, start);
    }
    const uint64_t size = file.size();
    if (head) {
      bh::response<bh::empty_body> msg;
      fill(msg);
      msg.content_length(size);
      co_await bh::async_write(stream_, msg, net::redirect_error(use_awaitable, ec));
    } else {
      bh::response<bh::file_body> msg;
      fill(msg);
      msg.body() = std::move(file);
      msg.prepare_payload();
      co_await bh::async_write(stream_, msg, net::redirect_error(use_awaitable, ec));
    }
  } else if (head || no_body) {
    bh::response<bh::empty_body> msg;
    fill(msg);
    if (!no_body) msg.content_length(res.body.size());
    co_await bh::async_write(stream_, msg, net::redirect_error(use_awaitable, ec));
  } else {
    bh::response<bh::string_body> msg;
    fill(msg);
    msg.body() = std::move(res.body);
    msg.prepare_payload();
    co_await bh::async_write(stream_, msg, net::redirect_error(use_awaitable, ec));
  }

  const double latency = seconds_since(start);
  // Metric labels stay bounded: unknown methods are folded into "OTHER".
  static const std::string_view kMethods[] = {"GET",    "HEAD",    "POST",  "PUT",
                                              "DELETE", "OPTIONS", "PATCH"};
  std::string method = "OTHER";
  for (auto m : kMethods) {
    if (method_ == m) method = std::string(m);
  }
  if (method_.empty()) method = "-";
  if (opts.log_requests) {
    // Path only: query strings carry tickets and tokens; bodies are never logged.
    logger()->info("{} {} {} {:.1f}ms {}", method, path_.empty() ? "-" : path_, res.status,
                   latency * 1000, req ? req->remote_address : peer_);
  }
  if (server_->metrics) {
    server_->metrics->inc(
        "superlight_http_requests_total",
        {{"method", method}, {"route", route_label_}, {"status", std::to_string(res.status)}});
    server_->metrics->observe("superlight_http_request_duration_seconds",
                              {{"method", method}, {"route", route_label_}}, latency);
  }
  co_return !ec;
}

net::awaitable<void> Server::Impl::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    beast::error_code ec;
    tcp::socket socket(io);
    co_await acceptor.async_accept(socket, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping || ec == net::error::operation_aborted) co_return;
      logger()->warn("accept failed: {}", ec.message());
      continue;
    }
    if (stopping) co_return;
    if (connections.size() >= options.max_connections) {
      static const std::string_view kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Connection: close\r\nContent-Length: 70\r\n\r\n"
          "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many open connections\"}}";
      socket.non_blocking(true, ec);
      socket.write_some(net::buffer(kBusy.data(), kBusy.size()), ec);
      socket.close(ec);
      if (metrics) metrics->inc("superlight_http_rejected_connections_total");
      continue;
    }
    const uint64_t id = next_connection_id++;
    auto conn = std::make_shared<HttpConnection>(std::move(socket), self, id);
    connections[id] = conn;
    gauge();
    net::co_spawn(io, HttpConnection::run(conn), net::detached);
  }
}

void Server::Impl::connection_ended(uint64_t id) {
  connections.erase(id);
  gauge();
  if (stopping && connections.empty()) report_done();
}

void Server::Impl::report_done() {
  if (done_reported) return;
  done_reported = true;
  grace_timer.cancel();
  auto callbacks = std::move(done_callbacks);
  for (auto& cb : callbacks) {
    if (cb) cb();
  }
}

void Server::Impl::begin_shutdown(std::function<void()> done) {
  if (done_reported) {
    if (done) done();
    return;
  }
  done_callbacks.push_back(std::move(done));
  if (stopping) return;
  stopping = true;
  beast::error_code ec;
  acceptor.close(ec);
  logger()->info("shutting down: {} open connection(s), grace {} ms", connections.size(),
                 options.shutdown_grace.count());
  for (auto& [id, weak] : connections) {
    if (auto c = weak.lock()) c->on_shutdown();
  }
  if (connections.empty()) {
    report_done();
    return;
  }
  grace_timer.expires_after(options.shutdown_grace);
  grace_timer.async_wait([self = shared_from_this()](const beast::error_code& e) {
    if (e) return;
    if (!self->connections.empty()) {
      logger()->warn("shutdown grace period over; {} connection(s) cut", self->connections.size());
    }
    self->report_done();
  });
}

Server::Server(net::io_context& io, const Router& router, ServerOptions options, Metrics* metrics)
    : impl_(std::make_shared<Impl>(io, router, std::move(options), metrics)) {
  if (metrics) {
    metrics->describe("superlight_http_requests_total", Metrics::Type::kCounter,
                      "HTTP requests answered, by method, route template and status");
    metrics->describe("superlight_http_request_duration_seconds", Metrics::Type::kHistogram,
                      "HTTP request latency from the first header byte to the response written");
    metrics->describe("superlight_http_connections_active", Metrics::Type::kGauge,
                      "open HTTP and WebSocket connections");
  }
}

Server::~Server() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

void Server::add_websocket(WsEndpoint endpoint) {
  impl_->ws_endpoints.push_back(std::move(endpoint));
}

core::Status Server::listen() {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec)
    return core::Status::invalid_argument("HOST is not an IP address: " + impl_->options.host);
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Status::unavailable("cannot listen on " + impl_->options.host + ":" +
                                     std::to_string(impl_->options.port) + ": " + ec.message());
  }
  impl_->bound_port = acc.local_endpoint(ec).port();
  std::error_code fec;
  std::filesystem::create_directories(impl_->options.upload_dir, fec);
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  return core::Status();
}

uint16_t Server::port() const { return impl_->bound_port; }
std::string Server::host() const { return impl_->options.host; }

void Server::shutdown(std::function<void()> done) {
  net::post(impl_->io, [impl = impl_, done = std::move(done)]() mutable {
    impl->begin_shutdown(std::move(done));
  });
}

size_t Server::active_connections() const { return impl_->connections.size(); }

}  // namespace gw::http
