// The account-facing REST routes (seed-system.md §2.2), one file per resource:
//   admin_login.cpp  POST /admin/login, POST /admin/logout
//   users.cpp        GET/POST /api/v1/users, PUT/DELETE /api/v1/users/:email
//   me.cpp           GET /api/v1/me, GET /api/v1/csrf
//   ws_auth.cpp      GET /api/v1/ws-auth
//   activities.cpp   GET /api/v1/activities, GET /api/v1/activities/summary
//   logs.cpp         GET /admin/test-logs, POST /admin/update-logs, GET /api/v1/logs/export
// Paths and success shapes are the seed's; errors are the gateway's shape plus the seed's
// {"status":"error","message"} (RouteOptions::seed()). Access is declared with auth tags (see
// gateway/auth/auth.h) and refined per principal inside the handlers (own vs all).
//
// Ownership: AccountDeps borrows long-lived objects that outlive the router.
// Threading: handlers start on the network thread; DB work goes through Services::run_blocking.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "gateway/auth/activity.h"
#include "gateway/auth/auth.h"
#include "gateway/http/router.h"
#include "gateway/live/hub.h"
#include "gateway/live/system_log.h"
#include "storage/account_repositories.h"

namespace gw {
class Services;
}

namespace gw::api {

struct AccountDeps {
  Services& services;
  auth::AuthService& auth;
  auth::ActivityLog& activity;
  live::LiveHub& hub;
  live::SystemLog& system_log;
};

void install_admin_login_routes(http::Router& router, AccountDeps& deps);
void install_users_routes(http::Router& router, AccountDeps& deps);
void install_me_routes(http::Router& router, AccountDeps& deps);
void install_ws_auth_routes(http::Router& router, AccountDeps& deps);
void install_activities_routes(http::Router& router, AccountDeps& deps);
void install_logs_routes(http::Router& router, AccountDeps& deps);
// All of the above.
void install_account_routes(http::Router& router, AccountDeps& deps);

// The seed's user object: {id, email, role, createdBy, createdAt, lastLogin, isActive,
// sessions:[sessionId…]} — never the password hash.
nlohmann::json user_json(const storage::User& user, const std::vector<std::string>& session_ids);

// A Responder that std::function callbacks can capture (Responder itself is move-only).
using SharedResponder = std::shared_ptr<http::Responder>;
inline SharedResponder share(http::Responder r) {
  return std::make_shared<http::Responder>(std::move(r));
}

inline constexpr size_t kMinPasswordLength = 8;
inline constexpr size_t kMaxPasswordLength = 1024;

}  // namespace gw::api
