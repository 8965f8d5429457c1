// GET /api/v1/activities (admin: everyone's, filtered by startDate/endDate; user: own) and
// GET /api/v1/activities/summary (admin). Values come back as JSON data, escaped by the JSON
// encoder; nothing is ever rendered as markup server-side.
#include <nlohmann/json.hpp>

#include <charconv>
#include <map>

#include "gateway/api/account_routes.h"
#include "gateway/services.h"

namespace gw::api {
namespace {

std::optional<long long> int_param(const http::Request& req, std::string_view name, long long lo,
                                   long long hi, long long fallback, bool& bad) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return fallback;
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < lo) {
    bad = true;
    return std::nullopt;
  }
  return std::min(out, hi);
}

}  // namespace

void install_activities_routes(http::Router& router, AccountDeps& deps) {
  Services& services = deps.services;

  router.get(
      "/api/v1/activities",
      [&services](const http::RequestPtr& req, http::Responder respond) {
        bool bad = false;
        auto limit = int_param(*req, "limit", 1, 1000, 100, bad);
        if (bad) {
          respond(http::Response::error_for(*req, 400, "invalid_argument",
                                            "limit must be a positive whole number"));
          return;
        }
        storage::ActivityQuery q;
        q.limit = static_cast<int>(*limit);
        for (const char* name : {"startDate", "endDate"}) {
          auto v = req->query_param(name);
          if (!v || v->empty()) continue;
          auto t = auth::parse_time(*v);
          if (!t) {
            respond(http::Response::error_for(*req, 400, "invalid_argument",
                                              std::string(name) + " must be an ISO date"));
            return;
          }
          if (std::string_view(name) == "startDate") {
            q.since = *t;
          } else {
            // A bare date as the end means "through that day".
            q.until = v->size() == 10 ? *t + 24LL * 3600 * 1000 : *t + 1;
          }
        }
        const auth::Principal& p = auth::principal_of(*req);
        if (!p.is_admin()) q.user_id = p.user_id;  // users: own activities only
        services.run_blocking([&services, q]() { return services.storage().activity().query(q); },
                              [req, respond = std::move(respond)](
                                  core::Result<std::vector<storage::ActivityEntry>> r) mutable {
                                if (!r.ok()) {
                                  respond(http::Response::from_status(*req, r.status()));
                                  return;
                                }
                                nlohmann::json out = nlohmann::json::array();
                                for (const auto& e : *r) out.push_back(auth::activity_json(e));
                                respond(http::Response::json(200, out));
                              });
      },
      http::RouteOptions().auth_tag("login").seed());

  router.get(
      "/api/v1/activities/summary",
      [&services](const http::RequestPtr& req, http::Responder respond) {
        bool bad = false;
        auto days = int_param(*req, "days", 1, 3650, 7, bad);
        if (bad) {
          respond(http::Response::error_for(*req, 400, "invalid_argument",
                                            "days must be a positive whole number"));
          return;
        }
        storage::ActivityQuery q;
        q.since = services.clock().unix_millis() - *days * 24LL * 3600 * 1000;
        q.limit = 10000;
        services.run_blocking([&services, q]() { return services.storage().activity().query(q); },
                              [req, respond = std::move(respond)](
                                  core::Result<std::vector<storage::ActivityEntry>> r) mutable {
                                if (!r.ok()) {
                                  respond(http::Response::from_status(*req, r.status()));
                                  return;
                                }
                                std::map<std::string, long long> by_action, by_resource, by_user;
                                for (const auto& e : *r) {
                                  ++by_action[e.action];
                                  ++by_resource[e.resource_type.value_or("unknown")];
                                  ++by_user[e.user_email.value_or("unknown")];
                                }
                                nlohmann::json recent = nlohmann::json::array();
                                for (size_t i = 0; i < r->size() && i < 10; ++i) {
                                  recent.push_back(auth::activity_json((*r)[i]));
                                }
                                respond(http::Response::json(200, {{"totalActivities", r->size()},
                                                                   {"byAction", by_action},
                                                                   {"byResource", by_resource},
                                                                   {"byUser", by_user},
                                                                   {"recentActivities", recent}}));
                              });
      },
      http::RouteOptions().auth_tag("admin").seed());
}

}  // namespace gw::api
