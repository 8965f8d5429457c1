// The simulator's WebSocket front door: accepts clients on any path and Origin (/ws/chat is the
// canonical one), declines compression, and runs one coroutine pair per connection — a reader
// that feeds bytes through ConnectionIntake (intro, Noise XX responder, transport frames) into
// the Simulator, and a writer that drains the connection's queue with exactly one write in
// flight. Each connection is the ConnectionSink the Simulator writes to. A bad intro, handshake,
// frame or node closes that connection only (one log line); nothing here can take the process
// or other connections down.
//
// Ownership: WsServer owns its acceptor and tracks its connections weakly; each connection is
// kept alive by its own coroutines (and by the Simulator while it holds the sink). The
// io_context, Simulator and Random passed in must outlive the server.
// Threading: everything runs on the one io_context thread the simulator uses; the header keeps
// Asio out of its includers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/random.h"
#include "core/status.h"
#include "simulator/simulator.h"

namespace boost::asio {
class io_context;
}

namespace sim {

struct WsServerOptions {
  // The client must finish the Noise handshake this long after the TCP connection opened.
  std::chrono::milliseconds handshake_timeout{20000};
  // Largest frame payload a client may send; a larger declared length closes the connection.
  size_t max_frame = (16u << 20) - 1;
};

class WsServer {
 public:
  // Binds and listens on host:port (port 0 picks a free port). Unavailable if it cannot bind.
  static core::Result<std::unique_ptr<WsServer>> listen(boost::asio::io_context& io,
                                                        const std::string& host, uint16_t port,
                                                        WsServerOptions options = {});
  ~WsServer();
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  uint16_t port() const;
  // Starts accepting; connections hand their events to `simulator`.
  void start(Simulator& simulator, core::Random& random);
  // Stops accepting and drops every open connection.
  void stop();
  size_t open_connections() const;

  struct Impl;

 private:
  explicit WsServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace sim
