// GET /api/v1/me (the current user, plus the CSRF token of a cookie login) and GET /api/v1/csrf.
#include <nlohmann/json.hpp>

#include "gateway/api/account_routes.h"
#include "gateway/services.h"

namespace gw::api {

void install_me_routes(http::Router& router, AccountDeps& deps) {
  Services& services = deps.services;
  auth::AuthService& authn = deps.auth;

  router.get(
      "/api/v1/me",
      [&services, &authn](const http::RequestPtr& req, http::Responder respond) {
        auth::Principal p = auth::principal_of(*req);
        if (p.kind == auth::Principal::Kind::kMaster) {
          // The master key is not a user; describe it so the dashboard can still work.
          respond(http::Response::json(200, {{"id", nullptr},
                                             {"email", nullptr},
                                             {"role", "admin"},
                                             {"createdBy", nullptr},
                                             {"createdAt", nullptr},
                                             {"lastLogin", nullptr},
                                             {"isActive", true},
                                             {"sessions", nlohmann::json::array()},
                                             {"principal", "master"}}));
          return;
        }
        std::string csrf = authn.csrf_token_for(p);
        services.run_blocking(
            [&services, id = p.user_id]() -> core::Result<nlohmann::json> {
              auto& st = services.storage();
              CORE_ASSIGN_OR_RETURN(auto u, st.users().find_by_id(id));
              if (!u) return core::Status::unauthenticated("Authentication required");
              CORE_ASSIGN_OR_RETURN(auto sessions, st.wa_sessions().list_by_owner(id));
              std::vector<std::string> ids;
              for (const auto& s : sessions) ids.push_back(s.id);
              return user_json(*u, ids);
            },
            [req, csrf, respond = std::move(respond)](core::Result<nlohmann::json> r) mutable {
              if (!r.ok()) {
                respond(http::Response::from_status(*req, r.status()));
                return;
              }
              nlohmann::json body = std::move(*r);
              body["csrfToken"] = csrf.empty() ? nlohmann::json(nullptr) : nlohmann::json(csrf);
              http::Response res = http::Response::json(200, body);
              res.header("Cache-Control", "no-store");
              respond(std::move(res));
            });
      },
      http::RouteOptions().auth_tag("login").seed());

  router.get("/api/v1/csrf", http::sync([&authn](http::Request& req) {
               std::string csrf = authn.csrf_token_for(auth::principal_of(req));
               http::Response res = http::Response::json(
                   200,
                   {{"csrfToken", csrf.empty() ? nlohmann::json(nullptr) : nlohmann::json(csrf)}});
               res.header("Cache-Control", "no-store");
               return res;
             }),
             http::RouteOptions().auth_tag("login").seed());
}

}  // namespace gw::api
