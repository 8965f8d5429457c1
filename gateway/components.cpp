#include "gateway/components.h"

#include <spdlog/spdlog.h>

#include "core/log.h"
#include "gateway/config/config.h"
#include "gateway/http/router.h"
#include "gateway/http/server.h"
#include "gateway/server_main.h"

namespace gw {
namespace {

std::unique_ptr<AuthComponents>& holder() {
  static std::unique_ptr<AuthComponents> components;
  return components;
}

}  // namespace

AuthComponents* auth_components() { return holder().get(); }

core::Status install_auth_components(ServeContext& ctx) {
  auto log = core::get_logger("gw.components");
  auto c = std::make_unique<AuthComponents>();

  auto services =
      Services::open(ctx.config, [&ctx](std::function<void()> fn) { ctx.post(std::move(fn)); });
  if (!services.ok()) return services.status();
  c->services = std::move(*services);
  Services& svc = *c->services;

  c->activity = std::make_unique<auth::ActivityLog>(svc);
  c->auth = std::make_unique<auth::AuthService>(svc, *c->activity,
                                                auth::AuthOptions::from_config(ctx.config));
  ctx.router.use(c->auth->middleware());

  c->hub = std::make_unique<live::LiveHub>();
  c->hub->set_snapshot_provider(live::database_snapshot_provider(svc));
  c->auth->add_revocation_listener(
      [hub = c->hub.get()](const std::string& user_id) { hub->disconnect_user(user_id); });

  c->system_log = std::make_unique<live::SystemLog>(ctx.config.data_dir / "system.log", svc.clock(),
                                                    svc.random());
  if (auto st = c->system_log->load(); !st.ok()) {
    log->warn("system log not loaded: {}", st.message());
  }

  c->feed = std::make_unique<live::LiveFeed>(*c->auth, *c->hub, svc.clock());
  ctx.server.add_websocket(c->feed->endpoint());

  c->deps = std::make_unique<api::AccountDeps>(
      api::AccountDeps{svc, *c->auth, *c->activity, *c->hub, *c->system_log});
  api::install_account_routes(ctx.router, *c->deps);

  if (ctx.config.admin_dashboard_password.empty()) {
    log->info("legacy ADMIN_DASHBOARD_PASSWORD login disabled (not set)");
  }
  if (ctx.config.master_api_key.empty()) {
    log->info("MASTER_API_KEY not set: x-master-key is refused; sessions need a dashboard login");
  }

  ctx.on_shutdown([] {
    if (auto* comps = auth_components()) comps->services->stop();
  });
  holder() = std::move(c);
  return core::Status();
}

}  // namespace gw
