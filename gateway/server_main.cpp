#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include "gateway/server_main.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "core/log.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/components.h"
#include "gateway/config/config.h"
#include "gateway/docs/api_docs.h"
#include "gateway/http/rate_limit.h"
#include "gateway/http/router.h"
#include "gateway/http/server.h"
#include "gateway/http/static_files.h"
#include "gateway/metrics.h"

#ifndef SL_VERSION
#define SL_VERSION "0.0.0"
#endif

namespace gw {

using http::Request;
using http::Response;

// The gateway components install themselves here, in dependency order. Each returns a Status;
// a failure stops start-up with one line. (Other gateway helpers: add your install call here.)
core::Status install_components(ServeContext& ctx) {
  CORE_RETURN_IF_ERROR(install_auth_components(ctx));  // auth, accounts, live feed (components.h)
  CORE_RETURN_IF_ERROR(api::install_messaging_components(ctx));  // sessions, messages, webhooks
  return core::Status();
}

void install_builtin_routes(ServeContext& ctx, const bool& started) {
  auto& router = ctx.router;
  const auto internal = http::RouteOptions().rate("none");
  router.get("/health", http::sync([](Request&) {
               return Response::json(200, {{"status", "ok"}});
             }),
             internal);
  router.get("/ready", http::sync([&ctx, &started](Request&) {
               nlohmann::json checks = nlohmann::json::object();
               bool ready = started;
               checks["http"] = started ? "ok" : "starting";
               for (const auto& [name, check] : ctx.readiness()) {
                 core::Status st;
                 try {
                   st = check();
                 } catch (const std::exception& e) {
                   st = core::Status::internal(e.what());
                 }
                 checks[name] = st.ok() ? std::string("ok") : st.message();
                 ready = ready && st.ok();
               }
               return Response::json(ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"},
                                                         {"checks", checks}});
             }),
             internal);
  router.get("/metrics", http::sync([&ctx](Request&) {
               return Response::text(200, ctx.metrics.render(),
                                     "text/plain; version=0.0.4; charset=utf-8");
             }),
             internal);
  router.get("/openapi.yaml", http::sync([](Request&) {
               return Response::text(200, std::string(openapi_yaml()),
                                     "application/yaml; charset=utf-8");
             }),
             internal);
}

namespace {

// API_DOCS_DIR (environment over .env: run_serve exported .env first), else `api-docs` next to
// the executable, where the build copies the Swagger UI assets.
std::filesystem::path api_docs_dir() {
  if (const char* v = std::getenv("API_DOCS_DIR"); v != nullptr && *v != '\0') return v;
  return docs::default_api_docs_dir();
}

}  // namespace

void ServeContext::post(std::function<void()> fn) { net::post(io, std::move(fn)); }

int run_serve(const ServeOptions& options) {
  // .env is read once: its variables join the environment (real ones win), so the components
  // that read their own settings see them too, then the configuration is built from it.
  if (auto st = config::export_dotenv(options.env_file); !st.ok()) {
    std::fprintf(stderr, "superlight: %s\n", st.message().c_str());
    return 2;
  }
  auto loaded = config::load(config::process_lookup());
  if (!loaded.ok()) {
    std::fprintf(stderr, "superlight: %s\n", loaded.status().message().c_str());
    return 2;
  }
  config::Config cfg = std::move(*loaded);
  if (options.host) cfg.host = *options.host;
  if (options.port) cfg.port = *options.port;
  if (options.sandbox) cfg.sandbox = true;

  core::LogOptions log_options;
  log_options.level = cfg.log_level;
  log_options.json = cfg.log_json;
  if (auto st = core::init_logging(log_options); !st.ok()) {
    std::fprintf(stderr, "superlight: %s\n", st.message().c_str());
    return 2;
  }
  auto log = core::get_logger("gw.serve");

  net::io_context io(1);
  Metrics metrics;
  metrics.describe("superlight_build_info", Metrics::Type::kGauge, "build information");
  metrics.set_gauge("superlight_build_info", {{"version", SL_VERSION}}, 1);

  http::Router router;
  http::ServerOptions so;
  so.host = cfg.host;
  so.port = cfg.port;
  so.body_limit = static_cast<size_t>(cfg.max_body_kb) * 1024;
  so.upload_limit = cfg.max_upload_mb * 1024 * 1024;
  so.header_timeout = std::chrono::seconds(cfg.request_timeout_seconds);
  so.idle_timeout = std::chrono::seconds(cfg.keep_alive_timeout_seconds);
  so.shutdown_grace = std::chrono::seconds(cfg.shutdown_grace_seconds);
  so.max_connections = static_cast<size_t>(cfg.max_connections);
  so.upload_dir = cfg.upload_dir();
  so.trust_proxy = cfg.trust_proxy;
  so.https = cfg.https;
  http::Server server(io, router, so, &metrics);
  ServeContext ctx(cfg, io, router, server, metrics);

  // The seed's global limiter: RATE_LIMIT_PER_MINUTE requests per minute per client IP, except
  // routes tagged rate_limit = "none" (health, metrics, static files).
  if (cfg.rate_limit_per_minute > 0) {
    http::RateLimitOptions rlo;
    rlo.limit = static_cast<uint32_t>(cfg.rate_limit_per_minute);
    rlo.window = std::chrono::seconds(60);
    auto limiter = std::make_shared<http::RateLimiter>(rlo);
    router.use(http::rate_limit_middleware("ip-rate-limit", limiter,
                                           [](const Request& req) -> std::optional<std::string> {
                                             if (req.options().rate_limit == "none")
                                               return std::nullopt;
                                             return "ip:" + req.remote_address;
                                           }));
  }

  bool started = false;
  install_builtin_routes(ctx, started);
  const auto docs_dir = api_docs_dir();
  docs::install_api_docs_routes(router, docs_dir);
  if (auto st = install_components(ctx); !st.ok()) {
    std::fprintf(stderr, "superlight: %s\n", st.message().c_str());
    return 1;
  }

  http::StaticFiles dashboard(cfg.dashboard_dir);
  const bool has_dashboard = dashboard.available();
  if (has_dashboard) router.set_fallback(dashboard.handler(), http::RouteOptions().rate("none"));

  if (auto st = server.listen(); !st.ok()) {
    std::fprintf(stderr, "superlight: %s\n", st.message().c_str());
    return 1;
  }
  started = true;

  const std::string shown_host =
      cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
  std::printf("superlight %s listening on http://%s:%u%s%s\n", SL_VERSION, shown_host.c_str(),
              static_cast<unsigned>(server.port()),
              has_dashboard ? (" (dashboard: " + cfg.dashboard_dir.string() + ")").c_str() : "",
              cfg.sandbox ? " [SANDBOX: simulated WhatsApp, no real accounts]" : "");
  std::fflush(stdout);
  log->info("API documentation UI: {} ({})", docs_dir.string(),
            docs::api_docs_available(docs_dir) ? "available at /api-documentation" : "missing");
  log->info("trust proxy: {}; body limit {} kB; upload limit {} MB; database {}",
            cfg.trust_proxy.describe(), cfg.max_body_kb, cfg.max_upload_mb,
            cfg.database_url.substr(0, cfg.database_url.find("://") + 3) + "…");

  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int signo) {
    if (ec) return;
    log->info("signal {} received: shutting down", signo);
    server.shutdown([&] {
      const auto& hooks = ctx.shutdown_hooks();
      for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) {
        try {
          (*it)();
        } catch (const std::exception& e) {
          log->error("shutdown hook threw: {}", e.what());
        }
      }
      log->info("stopped");
      io.stop();
    });
  });

  try {
    io.run();
  } catch (const std::exception& e) {
    log->critical("network thread failed: {}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace gw
