// WsConnection: the Beast-free face of one accepted WebSocket, for the live-feed hub and anything
// else that speaks WebSocket through the gateway. A WsEndpoint registered with the Server decides
// which upgrade requests are accepted (admit: e.g. the one-time ticket check) and receives each
// opened connection (on_open), where it attaches its callbacks.
//
//   server.add_websocket({.paths = {"/ws", "/"},
//                         .admit = [&](const Request& r) -> std::optional<Response> {
//                           if (!tickets.redeem(r.query_param("token")))
//                             return Response::error(401, "unauthenticated", "ticket required");
//                           return std::nullopt; },
//                         .on_open = [&](const RequestPtr& r, std::shared_ptr<WsConnection> c) {
//                           hub.add(c);
//                           c->on_message([](std::string m, bool text) { … });
//                           c->on_close([&hub, id = c->id()] { hub.remove(id); }); }});
//
// Ownership: the server keeps the connection alive while its socket is open; holders keep a
// shared_ptr (or a weak_ptr to avoid keeping a dead connection's memory).
// Threading: every method must be called on the network thread; callbacks run there too. Code
// on another thread posts to the network thread first (the hub's job).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/http/request.h"
#include "gateway/http/response.h"

namespace gw::http {

class WsConnection {
 public:
  virtual ~WsConnection() = default;

  // Queues a text message; messages go out in order, one write in flight. Returns false and drops
  // the message when the connection is closing/closed, or when the queue would exceed the server's
  // per-connection limit — a client too slow to keep up is then closed (1008), so one slow
  // dashboard can never make the server buffer without bound.
  virtual bool send_text(std::string message) = 0;
  // Starts the closing handshake after the queued messages are written.
  virtual void close(uint16_t code = 1000, std::string reason = {}) = 0;

  // Set once, in on_open. on_message receives each complete message (text or binary);
  // on_close runs exactly once when the connection ends for any reason.
  virtual void on_message(std::function<void(std::string message, bool is_text)> fn) = 0;
  virtual void on_close(std::function<void()> fn) = 0;

  virtual uint64_t id() const = 0;
  virtual const std::string& remote_address() const = 0;
  virtual bool is_open() const = 0;
  virtual size_t queued_bytes() const = 0;
};

struct WsEndpoint {
  std::vector<std::string> paths;  // exact request paths, e.g. {"/ws", "/ws/", "/"}
  // Decides before the upgrade: nullopt accepts, a Response (401, 403…) refuses. Empty = accept.
  std::function<std::optional<Response>(const Request&)> admit;
  std::function<void(const RequestPtr&, std::shared_ptr<WsConnection>)> on_open;
};

}  // namespace gw::http
