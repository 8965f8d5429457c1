// Server: the HTTP/1.1 listener. One coroutine per connection reads a request (header deadline
// against slowloris, size limits enforced while reading: 431 for headers, 413 for bodies), hands a
// Beast-free Request to the Router, waits for the Responder, writes the Response (keep-alive,
// security headers, HEAD without body, files streamed), logs one line (method, path, status,
// latency — never query strings, bodies or credentials) and records per-route metrics. Multipart
// bodies on routes that accept them are streamed into temporary files through MultipartParser.
// WebSocket upgrades go to the registered WsEndpoint. shutdown() stops accepting, closes idle
// connections, lets in-flight requests finish (answered with Connection: close) until the grace
// deadline, then reports done.
//
// Every response gets, unless a handler set them already:
//   Content-Security-Policy: default-src 'self'; script-src 'self'; object-src 'none';
//                            frame-ancestors 'none'; base-uri 'self'
//   X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: no-referrer,
//   Cross-Origin-Opener-Policy: same-origin, and Strict-Transport-Security when the request is
//   secure (HTTPS configured, or X-Forwarded-Proto: https from a trusted proxy).
//
// Ownership: the Server borrows the io_context, the Router and the Metrics, which must outlive
// it. Connections keep the server's internals alive until they end.
// Threading: construct, listen() and add_websocket() before io.run(); everything else runs on the
// io_context's single thread. shutdown() may be called from any thread (it posts).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "gateway/http/router.h"
#include "gateway/http/trust_proxy.h"
#include "gateway/http/websocket.h"

namespace boost::asio {
class io_context;
}

namespace gw {
class Metrics;
}

namespace gw::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 3100;  // 0 = any free port (tests); see Server::port()
  size_t max_header_bytes = 64 * 1024;
  size_t body_limit = 1024 * 1024;  // default for JSON/text bodies (RouteOptions overrides)
  uint64_t upload_limit = 25ull * 1024 * 1024;        // multipart routes (MAX_UPLOAD_MB)
  std::chrono::milliseconds header_timeout{10'000};   // whole header, from its first byte
  std::chrono::milliseconds body_timeout{120'000};    // whole body
  std::chrono::milliseconds idle_timeout{30'000};     // keep-alive wait for the next request
  std::chrono::milliseconds handler_timeout{60'000};  // then 503 and the late answer is dropped
  std::chrono::milliseconds write_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  size_t max_connections = 1024;  // beyond: 503 and close
  std::filesystem::path upload_dir = "./data/tmp/uploads";
  TrustProxy trust_proxy = TrustProxy::none();
  bool https = false;  // the public URL is https (TLS terminated by a proxy we cannot see)
  size_t ws_max_message = 64 * 1024;
  size_t ws_max_queue_bytes = 4 * 1024 * 1024;
  bool log_requests = true;
};

class Server {
 public:
  Server(boost::asio::io_context& io, const Router& router, ServerOptions options,
         Metrics* metrics = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void add_websocket(WsEndpoint endpoint);
  // Binds and starts accepting (once io.run() runs). Unavailable with the OS reason when the
  // address cannot be bound.
  core::Status listen();
  uint16_t port() const;  // the bound port (useful with port 0)
  std::string host() const;

  // Graceful stop; `done` runs on the network thread when every connection has ended or the
  // grace deadline passed. Idempotent.
  void shutdown(std::function<void()> done = {});
  size_t active_connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace gw::http
