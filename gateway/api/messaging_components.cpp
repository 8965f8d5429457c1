// Wiring of the messaging components: webhook pipeline (URL policy, settings, publisher,
// delivery worker), the sandbox simulator, the SessionManager, and their routes. Called from
// server_main.cpp's install_components() after install_auth_components().
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/spdlog.h>
#include "core/encoding.h"

#include "core/log.h"
#include "gateway/api/media_fetch.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/components.h"
#include "gateway/config/config.h"
#include "gateway/metrics.h"
#include "gateway/server_main.h"
#include "gateway/webhooks/delivery_worker.h"
#include "gateway/webhooks/metrics_binding.h"
#include "gateway/webhooks/publisher.h"

namespace gw::api {
namespace {

struct MessagingComponents {
  std::unique_ptr<UrlPolicy> policy;
  std::unique_ptr<webhooks::WebhookSettings> settings;
  std::unique_ptr<storage::WebhookQueries> queries;
  std::unique_ptr<webhooks::DeliveryWorker> worker;
  std::unique_ptr<webhooks::WebhookPublisher> publisher;
  std::unique_ptr<sessions::Sandbox> sandbox;
  std::unique_ptr<sessions::SessionManager> manager;
  std::unique_ptr<MediaFetcher> fetcher;
  std::unique_ptr<MessagingDeps> deps;
};

std::unique_ptr<MessagingComponents>& holder() {
  static std::unique_ptr<MessagingComponents> c;
  return c;
}

}  // namespace

core::Status install_messaging_components(ServeContext& ctx) {
  auto log = core::get_logger("gw.messaging");
  AuthComponents* auth = auth_components();
  if (!auth) return core::Status::failed_precondition("messaging needs the auth components");
  Services& svc = *auth->services;
  const config::Config& cfg = ctx.config;
  auto c = std::make_unique<MessagingComponents>();

  // --- webhooks ---
  UrlPolicy::Options policy_options = UrlPolicy::Options::from_environment();
  policy_options.allow_private = policy_options.allow_private || cfg.allow_private_webhooks;
  c->policy = std::make_unique<UrlPolicy>(policy_options);
  CORE_ASSIGN_OR_RETURN(auto settings_options,
                        webhooks::WebhookSettings::Options::from_environment(*c->policy));
  if (!cfg.webhook_url.empty()) settings_options.default_url = cfg.webhook_url;
  c->settings = std::make_unique<webhooks::WebhookSettings>(
      svc.storage().wa_sessions(), *c->policy, svc.random(), std::move(settings_options));
  c->queries = std::make_unique<storage::WebhookQueries>(svc.storage().db(), svc.clock());
  CORE_ASSIGN_OR_RETURN(auto delivery_options, webhooks::DeliveryOptions::from_environment());
  c->worker = std::make_unique<webhooks::DeliveryWorker>(
      webhooks::DeliveryWorker::Deps{svc.executor(), svc.storage().webhooks(), *c->queries,
                                     *c->settings, *c->policy, svc.clock(), svc.random()},
      delivery_options);
  CORE_RETURN_IF_ERROR(c->worker->start());
  webhooks::register_webhook_metrics(ctx.metrics, *c->worker);
  c->publisher = std::make_unique<webhooks::WebhookPublisher>(
      svc.storage().db(), svc.storage().webhooks(), *c->settings,
      [worker = c->worker.get()] { worker->notify(); });

  // --- endpoint: WA_* overrides, else the in-process sandbox, else WhatsApp ---
  sessions::SessionManager::Options options;
  options.max_sessions = cfg.max_sessions;
  options.link_timeout =
      std::chrono::seconds(static_cast<long long>(cfg.session_timeout_hours * 3600));
  options.device.os = "Super Light";
  if (cfg.sandbox && cfg.wa_ws_url.empty()) {
    CORE_ASSIGN_OR_RETURN(c->sandbox, sessions::Sandbox::start(ctx.io, cfg.data_dir / "sim", false,
                                                               core::SystemClock::instance(),
                                                               core::SecureRandom::instance()));
    options.endpoint = c->sandbox->endpoint();
    std::printf(
        "superlight SANDBOX: simulated WhatsApp at %s (control %s) — no real accounts.\n"
        "superlight SANDBOX: echo contact %s (texts sent to it are echoed back); link a session "
        "with POST /api/v1/sessions/:id/sandbox/scan\n",
        c->sandbox->ws_url().c_str(), c->sandbox->control_url().c_str(),
        c->sandbox->echo_phone().c_str());
    std::fflush(stdout);
  }
  if (!cfg.wa_ws_url.empty()) options.endpoint.transport.url = cfg.wa_ws_url;
  if (!cfg.wa_noise_root_key.empty()) {
    CORE_ASSIGN_OR_RETURN(options.endpoint.transport.noise_root_key,
                          core::hex_decode(cfg.wa_noise_root_key));
  }
  if (!cfg.wa_media_ca_file.empty()) {
    std::ifstream in(cfg.wa_media_ca_file);
    if (!in) {
      return core::Status::invalid_argument("WA_MEDIA_CA_FILE cannot be read: " +
                                            cfg.wa_media_ca_file.string());
    }
    std::stringstream ss;
    ss << in.rdbuf();
    options.endpoint.media_tls.ca_pem = ss.str();
    options.endpoint.transport.tls.ca_pem = ss.str();
  }

  c->manager = std::make_unique<sessions::SessionManager>(ctx.io, svc, *c->publisher, *c->settings,
                                                          auth->hub.get(), options);
  CORE_RETURN_IF_ERROR(c->manager->start());
  auth->hub->set_snapshot_provider(
      [mgr = c->manager.get()](std::function<void(std::vector<live::SessionView>)> deliver) {
        deliver(mgr->views());
      });
  ctx.add_readiness_check("sessions", [] { return core::Status(); });
  ctx.metrics.describe("superlight_sessions", Metrics::Type::kGauge, "Sessions by state.");
  ctx.metrics.describe("superlight_messages_in_total", Metrics::Type::kCounter,
                       "Messages received (decrypted) since start.");
  ctx.metrics.describe("superlight_messages_out_total", Metrics::Type::kCounter,
                       "Outbound messages acknowledged by the server since start.");
  // Scraped on the network thread, the manager's thread.
  ctx.metrics.add_collector("superlight_sessions", [mgr = c->manager.get()](Metrics::Sink& sink) {
    std::map<sessions::State, int> by_state;
    for (auto st : {sessions::State::kCreating, sessions::State::kGeneratingQr,
                    sessions::State::kConnecting, sessions::State::kConnected,
                    sessions::State::kDisconnected, sessions::State::kLoggedOut}) {
      by_state[st] = 0;
    }
    for (const auto& snap : mgr->list()) ++by_state[snap.state];
    for (const auto& [st, n] : by_state) {
      sink.gauge("superlight_sessions", {{"state", std::string(sessions::state_name(st))}}, n);
    }
    sink.counter("superlight_messages_in_total", {}, static_cast<double>(mgr->messages_in()));
    sink.counter("superlight_messages_out_total", {}, static_cast<double>(mgr->messages_out()));
  });

  c->deps = std::make_unique<MessagingDeps>(
      MessagingDeps{svc, *auth->auth, *auth->activity, *auth->hub, *c->manager, *c->settings,
                    *c->queries, c->sandbox.get(), !cfg.master_api_key.empty()});
  c->fetcher = std::make_unique<MediaFetcher>(
      svc, *c->policy,
      MediaFetcher::Options{.dir = cfg.data_dir / "media",
                            .max_bytes = static_cast<size_t>(cfg.max_upload_mb * 1024 * 1024)});
  c->deps->media_fetcher = c->fetcher.get();
  install_sessions_routes(ctx.router, *c->deps);
  install_messages_routes(ctx.router, *c->deps);
  install_message_delete_route(ctx.router, *c->deps);
  install_webhook_routes(ctx.router, *c->deps);
  install_legacy_routes(ctx.router, *c->deps);
  install_groups_routes(ctx.router, *c->deps);
  install_contacts_routes(ctx.router, *c->deps);
  install_media_routes(ctx.router, *c->deps, cfg.data_dir / "media");

  // Runs before the auth components' hook (reverse order): clients stop while the pool still
  // runs; the worker stops after the last webhook was queued.
  ctx.on_shutdown([] {
    auto& comps = holder();
    if (!comps) return;
    comps->manager->stop();
    if (comps->sandbox) comps->sandbox->stop();
    comps->worker->stop();
    // Deliberately leaked: clients, timers and the simulator hold io_context objects, and the
    // io_context is destroyed when run_serve returns, before static destructors would run.
    (void)comps.release();
  });
  log->info("messaging installed ({} session(s) restored)", c->manager->size());
  holder() = std::move(c);
  return core::Status();
}

}  // namespace gw::api
