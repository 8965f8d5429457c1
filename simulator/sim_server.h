// The runnable simulator: one io_context thread running the WebSocket server (ws_server.h), the
// JSON control API over plain HTTP (control_api.h) and the HTTPS media host (media_server.h)
// around one Simulator core, plus the Scheduler the core uses for its timers. `superlight sim`
// calls run_simulator(); the gateway's sandbox mode can create a SimServer on its own
// io_context instead.
//
// Start-up order matters: the three listeners are bound first (ports may be 0 = any free port),
// because the core must know the media host it hands out in media_conn before it opens.
//
// Ownership: SimServer owns the Simulator, the servers and the Scheduler; the io_context, Clock
// and Random passed to start() must outlive it. Destroy it before the io_context.
// Threading: every SimServer method and everything it owns runs on the io_context's one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "simulator/control_api.h"
#include "simulator/simulator.h"

namespace boost::asio {
class io_context;
}

namespace sim {

// Default ports when none are given (documented in docs/simulator.md). 0 = any free port.
constexpr uint16_t kDefaultWsPort = 7100;
constexpr uint16_t kDefaultControlPort = 7101;
constexpr uint16_t kDefaultMediaPort = 7102;

struct SimServerOptions {
  std::string state_dir = "./data/sim";
  bool ephemeral = false;
  std::string host = "127.0.0.1";  // all three listeners bind here
  uint16_t ws_port = kDefaultWsPort;
  uint16_t control_port = kDefaultControlPort;
  uint16_t media_port = kDefaultMediaPort;
  std::string log_level = "info";
  // How long POST …/scan and …/pair-code wait for the device to finish linking (then 504).
  std::chrono::milliseconds link_timeout{60000};
  std::chrono::milliseconds noise_handshake_timeout{20000};
};

class SimServer {
 public:
  static core::Result<std::unique_ptr<SimServer>> start(boost::asio::io_context& io,
                                                        const SimServerOptions& options,
                                                        core::Clock& clock, core::Random& random);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  const ServerInfo& info() const;
  // {"ready":true,"ws_url":…,"media_url":…,"root_key":…,"media_ca_pem":…,"control_url":…}
  std::string ready_line() const;
  Simulator& simulator();
  // Stops accepting and drops every connection; pending io then drains.
  void stop();

  struct Impl;

 private:
  explicit SimServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// `superlight sim`: sets up logging, runs a SimServer on a fresh io_context on this thread,
// prints the ready line to `ready_out` (one JSON line, flushed), and returns the exit code once
// SIGINT or SIGTERM stopped it (0), or 1 if start-up failed (one line on stderr).
int run_simulator(const SimServerOptions& options, std::FILE* ready_out = stdout);

}  // namespace sim
