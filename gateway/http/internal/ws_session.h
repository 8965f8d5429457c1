// Internal to gateway/http: the Beast WebSocket session behind WsConnection, split into its own
// translation unit (ws_session.cpp) so the HTTP connection TU stays smaller. Only server.cpp
// includes this header.
//
// Threading: network thread only (see websocket.h).
#pragma once

#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include <functional>
#include <memory>

#include "gateway/http/websocket.h"

namespace gw::http::internal {

struct WsSessionOptions {
  size_t max_message = 64 * 1024;
  size_t max_queue_bytes = 4 * 1024 * 1024;
};

// A prepared session: run() completes the upgrade for `upgrade` on `stream` and serves the
// connection until it closes; `opened` runs right after the handshake (the server records the
// connection for shutdown, then calls the endpoint's on_open).
//
// A plain factory plus an argument-less coroutine, because GCC 12 destroys some temporaries of a
// co_await expression twice (e.g. a lambda converted to std::function as a coroutine argument).
class WsRunner {
 public:
  virtual ~WsRunner() = default;
  virtual net::awaitable<void> run() = 0;
};

std::shared_ptr<WsRunner> make_websocket(
    beast::tcp_stream stream, boost::beast::http::request<boost::beast::http::empty_body> upgrade,
    uint64_t id, std::string remote_address, WsSessionOptions options,
    std::function<void(std::shared_ptr<WsConnection>)> opened);

}  // namespace gw::http::internal
