// Byte-level network interfaces of the protocol client, free of Asio/Beast so the client and its
// tests never see sockets:
//   * WebSocketChannel: one WebSocket carrying binary messages (the chat connection);
//   * HttpClient: one-shot HTTPS requests (media upload/download).
// asio_net.h provides the real Beast implementations; tests provide fakes.
//
// Callback rules: every callback runs on the owner's executor, never inline inside the call
// that started the operation. After close() or destruction no callback runs.
//
// Ownership: the client owns its channel; a channel owns its socket and buffers.
// Threading: use from the owning executor only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "wa/transport/config.h"

namespace wa::transport {

class WebSocketChannel {
 public:
  struct Handlers {
    std::function<void(core::Status)> on_open;    // connected (or failed to)
    std::function<void(core::Bytes)> on_message;  // one binary WebSocket message
    std::function<void(core::Status)> on_closed;  // after open: the connection ended
  };
  virtual ~WebSocketChannel() = default;
  // Resolves, connects (TCP, TLS for wss://), and upgrades. Exactly one of on_open(error) or
  // on_open(ok) … on_closed(status) follows.
  virtual void open(Handlers handlers) = 0;
  // Queues one binary message; writes go out in call order, one at a time.
  virtual void send(core::Bytes message) = 0;
  // Closes without further callbacks.
  virtual void close() = 0;
};

class ChannelFactory {
 public:
  virtual ~ChannelFactory() = default;
  virtual std::unique_ptr<WebSocketChannel> create(const TransportConfig& config) = 0;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // https://host[:port]/path?query (http:// allowed for tests)
  std::map<std::string, std::string> headers;
  core::Bytes body;
  std::chrono::milliseconds timeout{60000};
  size_t max_response_bytes = 100u << 20;
};

struct HttpResponse {
  int status = 0;
  core::Bytes body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual void request(HttpRequest request,
                       std::function<void(core::Result<HttpResponse>)> done) = 0;
};

}  // namespace wa::transport
