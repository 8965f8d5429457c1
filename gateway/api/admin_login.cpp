// POST /admin/login and POST /admin/logout.
#include <nlohmann/json.hpp>

#include "gateway/api/account_routes.h"
#include "gateway/services.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

Response invalid_credentials() {
  return Response::json(
      401, {{"success", false},
            {"message", "Invalid credentials"},
            {"error", {{"code", "unauthenticated"}, {"message", "Invalid credentials"}}}});
}

}  // namespace

void install_admin_login_routes(http::Router& router, AccountDeps& deps) {
  auto& auth = deps.auth;
  router.post(
      "/admin/login",
      [&auth](const RequestPtr& req, Responder respond) {
        nlohmann::json body;
        if (!req->parse_json(body).ok() || !body.is_object()) {
          // Unparseable bodies get the same answer as wrong passwords (and count nothing).
          respond(invalid_credentials());
          return;
        }
        auth::LoginRequest rq;
        if (auto it = body.find("email"); it != body.end() && !it->is_null()) {
          if (!it->is_string()) {
            respond(invalid_credentials());
            return;
          }
          rq.email = it->get<std::string>();
        }
        if (auto it = body.find("password"); it != body.end() && it->is_string()) {
          rq.password = it->get<std::string>();
        }
        rq.ip = req->remote_address;
        if (auto ua = req->header("User-Agent")) rq.user_agent = std::string(*ua);
        rq.previous_cookie = req->cookie(auth.options().cookie_name);
        auth.login(std::move(rq), [&auth, req,
                                   respond = share(std::move(respond))](auth::LoginOutcome out) {
          using R = auth::LoginOutcome::Result;
          Response r;
          switch (out.result) {
            case R::kOk:
              r = Response::json(200, {{"success", true},
                                       {"role", out.user.role},
                                       {"email", out.user.email},
                                       {"csrfToken", out.csrf_token}});
              r.set_cookie(auth.options().cookie_name, out.cookie, auth.cookie_options(*req));
              break;
            case R::kInvalid:
              r = invalid_credentials();
              break;
            case R::kLocked: {
              const char* msg = "Too many failed login attempts. Try again later.";
              r = Response::json(429, {{"success", false},
                                       {"message", msg},
                                       {"error", {{"code", "rate_limited"}, {"message", msg}}}});
              r.header("Retry-After", std::to_string(out.retry_after.count()));
              break;
            }
            case R::kError:
              r = Response::json(
                  500, {{"success", false},
                        {"message", "Login failed"},
                        {"error", {{"code", "internal_error"}, {"message", "Login failed"}}}});
              break;
          }
          r.header("Cache-Control", "no-store");
          (*respond)(std::move(r));
        });
      },
      http::RouteOptions().rate("login").limit(16 * 1024));

  router.post(
      "/admin/logout",
      [&auth](const RequestPtr& req, Responder respond) {
        auth.logout(*req, [&auth, req, respond = share(std::move(respond))](core::Status st) {
          if (!st.ok()) {
            (*respond)(Response::from_status(*req, st));
            return;
          }
          Response r = Response::json(200, {{"success", true}, {"redirect", "/admin/login.html"}});
          r.set_cookie(auth.options().cookie_name, "", auth.cookie_options(*req, /*clear=*/true));
          r.header("Cache-Control", "no-store");
          (*respond)(std::move(r));
        });
      },
      http::RouteOptions().auth_tag("login").seed());
}

void install_account_routes(http::Router& router, AccountDeps& deps) {
  install_admin_login_routes(router, deps);
  install_users_routes(router, deps);
  install_me_routes(router, deps);
  install_ws_auth_routes(router, deps);
  install_activities_routes(router, deps);
  install_logs_routes(router, deps);
}

}  // namespace gw::api
