// `superlight serve`: loads the configuration (environment + .env), builds the HTTP server on one
// io_context thread, installs the built-in routes (/health, /ready, /metrics, /openapi.yaml), the
// gateway components, the dashboard's static files, then runs until SIGINT/SIGTERM and shuts down
// gracefully (stop accepting, finish in-flight requests, run shutdown hooks), exiting 0.
// A bad configuration value prints one line ("superlight: PORT must be …") and returns 2; a port
// that cannot be bound returns 1.
//
// Components (REST resources, auth, sessions, webhooks, live feed) install themselves through a
// ServeContext in install_components() (server_main.cpp): add routes and middleware to the router,
// a WebSocket endpoint to the server, readiness checks, metrics collectors, shutdown hooks.
//
// Ownership: run_serve owns everything it builds; a ServeContext borrows them for the duration of
// the run. Threading: run_serve blocks the calling thread, which becomes the network thread.
// Readiness checks and shutdown hooks run on it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace boost::asio {
class io_context;
}

namespace gw {

namespace config {
struct Config;
}
namespace http {
class Router;
class Server;
}  // namespace http
class Metrics;

// Command-line overrides (they win over the environment).
struct ServeOptions {
  std::optional<std::string> host;
  std::optional<uint16_t> port;
  bool sandbox = false;
  std::filesystem::path env_file = ".env";
};

class ServeContext {
 public:
  ServeContext(const config::Config& config, boost::asio::io_context& io, http::Router& router,
               http::Server& server, Metrics& metrics)
      : config(config), io(io), router(router), server(server), metrics(metrics) {}

  const config::Config& config;
  boost::asio::io_context& io;
  http::Router& router;
  http::Server& server;
  Metrics& metrics;

  // GET /ready answers 200 only when every check returns OK (e.g. "database", "sessions").
  void add_readiness_check(std::string name, std::function<core::Status()> check) {
    readiness_.emplace_back(std::move(name), std::move(check));
  }
  // Runs `fn` on the network thread (from any thread), without the caller seeing Asio: how
  // blocking-pool work hands results back to sessions, the hub or a Responder chain.
  void post(std::function<void()> fn);
  // Runs after the HTTP server drained, in reverse order of registration, before exit.
  void on_shutdown(std::function<void()> hook) { shutdown_hooks_.push_back(std::move(hook)); }

  const std::vector<std::pair<std::string, std::function<core::Status()>>>& readiness() const {
    return readiness_;
  }
  const std::vector<std::function<void()>>& shutdown_hooks() const { return shutdown_hooks_; }

 private:
  std::vector<std::pair<std::string, std::function<core::Status()>>> readiness_;
  std::vector<std::function<void()>> shutdown_hooks_;
};

// The pieces run_serve assembles, exposed so tests can build the exact route table in-process
// (tests/unit/gateway_security): the built-in routes (/health, /ready — 503 until `started` is
// true —, /metrics, /openapi.yaml) and every gateway component. Call on the network thread
// before io.run(); the components are process-wide, so install them once per process.
void install_builtin_routes(ServeContext& ctx, const bool& started);
core::Status install_components(ServeContext& ctx);

// Runs the server; returns the process exit code (0 after a signal, 1 runtime failure, 2 bad
// configuration).
int run_serve(const ServeOptions& options);

// The OpenAPI document (docs/openapi.yaml), embedded at build time.
std::string_view openapi_yaml();

}  // namespace gw
