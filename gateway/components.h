// Gateway components wiring: opens Services (storage + blocking pool), builds the security core
// (AuthService + its middleware, ActivityLog), the live feed (LiveHub, /ws endpoint, SystemLog)
// and installs the account routes. server_main.cpp's install_components() calls
// install_auth_components(ctx) once; later components (sessions, messages, campaigns) reach the
// shared objects through auth_components().
//
// Ownership: the components live in a process-wide holder from install until process exit (the
// router's handlers reference them for the whole run); a shutdown hook drains the blocking pool
// after the HTTP server stopped.
// Threading: install on the network thread before io.run(); the objects follow their own rules.
#pragma once

#include <memory>

#include "core/status.h"
#include "gateway/api/account_routes.h"
#include "gateway/auth/activity.h"
#include "gateway/auth/auth.h"
#include "gateway/live/hub.h"
#include "gateway/live/live_feed.h"
#include "gateway/live/system_log.h"
#include "gateway/services.h"

namespace gw {

class ServeContext;

struct AuthComponents {
  std::unique_ptr<Services> services;
  std::unique_ptr<auth::ActivityLog> activity;
  std::unique_ptr<auth::AuthService> auth;
  std::unique_ptr<live::LiveHub> hub;
  std::unique_ptr<live::SystemLog> system_log;
  std::unique_ptr<live::LiveFeed> feed;
  std::unique_ptr<api::AccountDeps> deps;
};

// Opens storage, installs the auth middleware, /ws, and the account routes.
core::Status install_auth_components(ServeContext& ctx);

// The installed components, or nullptr before install_auth_components succeeded.
AuthComponents* auth_components();

}  // namespace gw
