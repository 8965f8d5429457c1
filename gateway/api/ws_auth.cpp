// GET /api/v1/ws-auth: a one-time live-feed ticket ({"wsToken": 64 hex}) bound to the caller.
#include "gateway/api/account_routes.h"

namespace gw::api {

void install_ws_auth_routes(http::Router& router, AccountDeps& deps) {
  auth::AuthService& authn = deps.auth;
  router.get("/api/v1/ws-auth", http::sync([&authn](http::Request& req) {
               std::string ticket = authn.tickets().issue(auth::principal_of(req));
               http::Response res = http::Response::json(200, {{"wsToken", ticket}});
               res.header("Cache-Control", "no-store");
               return res;
             }),
             http::RouteOptions().auth_tag("token-or-login").seed());
}

}  // namespace gw::api
