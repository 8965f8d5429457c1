// /api/v1/webhook: per-session webhook URL (seed shapes; now validated against the URL policy
// and persisted), and POST /api/v1/webhook/replay (re-send the events of a time range).
#include "gateway/api/account_routes.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"
#include "gateway/services.h"
#include "gateway/webhooks/replay.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

std::string session_of(const http::Request& req, const nlohmann::json& body) {
  if (body.is_object() && body.contains("sessionId") && body["sessionId"].is_string()) {
    return body["sessionId"].get<std::string>();
  }
  return req.query_param("sessionId").value_or("");
}

std::optional<long long> time_field(const nlohmann::json& body, const char* key) {
  if (!body.is_object() || !body.contains(key)) return std::nullopt;
  const auto& v = body[key];
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_string()) return auth::parse_time(v.get<std::string>());
  return std::nullopt;
}

}  // namespace

void install_webhook_routes(http::Router& router, MessagingDeps& deps) {
  Services& services = deps.services;
  auto& settings = deps.webhook_settings;
  auto& queries = deps.webhook_queries;
  auto& mgr = deps.sessions;
  const auto opts = http::RouteOptions().auth_tag("session-access").seed();

  router.post(
      "/api/v1/webhook",
      [&services, &settings, &mgr](const RequestPtr& req, Responder respond) {
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
          return;
        }
        const std::string id = session_of(*req, body);
        if (id.empty() || !body.is_object() || !body.contains("url") || !body["url"].is_string()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "URL and sessionId are required."));
          return;
        }
        if (!mgr.find(id)) {
          respond(Response::error_for(*req, 404, "not_found", "Session " + id + " not found."));
          return;
        }
        const std::string url = body["url"].get<std::string>();
        services.run_blocking(
            [&settings, id, url] { return settings.set_url(id, url); },
            [req, id, url, respond = std::move(respond)](core::Status st) mutable {
              if (!st.ok()) {
                respond(Response::from_status(*req, st));
                return;
              }
              respond(Response::json(
                  200, {{"status", "success"},
                        {"message", "Webhook URL for session " + id + " updated to " + url}}));
            });
      },
      opts);

  router.get(
      "/api/v1/webhook",
      [&services, &settings](const RequestPtr& req, Responder respond) {
        const std::string id = req->query_param("sessionId").value_or("");
        if (id.empty()) {
          respond(Response::error_for(*req, 400, "invalid_argument", "sessionId is required."));
          return;
        }
        services.run_blocking(
            [&settings, id] { return settings.session_url(id); },
            [req, id,
             respond = std::move(respond)](core::Result<std::optional<std::string>> r) mutable {
              if (!r.ok()) {
                respond(Response::from_status(*req, r.status()));
                return;
              }
              respond(Response::json(200, {{"status", "success"},
                                           {"sessionId", id},
                                           {"url", *r ? nlohmann::json(**r) : nlohmann::json()}}));
            });
      },
      opts);

  router.del(
      "/api/v1/webhook",
      [&services, &settings](const RequestPtr& req, Responder respond) {
        nlohmann::json body = nlohmann::json::object();
        if (!req->body.empty()) {
          if (auto st = req->parse_json(body); !st.ok()) {
            respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
            return;
          }
        }
        const std::string id = session_of(*req, body);
        if (id.empty()) {
          respond(Response::error_for(*req, 400, "invalid_argument", "sessionId is required."));
          return;
        }
        services.run_blocking([&settings, id] { return settings.set_url(id, std::nullopt); },
                              [req, id, respond = std::move(respond)](core::Status st) mutable {
                                if (!st.ok()) {
                                  respond(Response::from_status(*req, st));
                                  return;
                                }
                                respond(Response::json(
                                    200, {{"status", "success"},
                                          {"message", "Webhook for session " + id + " deleted."}}));
                              });
      },
      opts);

  router.post(
      "/api/v1/webhook/replay",
      [&services, &queries, &mgr](const RequestPtr& req, Responder respond) {
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
          return;
        }
        const auth::Principal& p = auth::principal_of(*req);
        webhooks::ReplayRequest rr;
        std::string id = session_of(*req, body);
        if (!id.empty()) rr.session_id = id;
        if (!p.is_admin() && !rr.session_id) {
          respond(Response::error_for(*req, 400, "invalid_argument", "sessionId is required."));
          return;
        }
        // The auth middleware already checked the named session; this second check keeps the
        // route safe on its own (replay re-sends another session's events otherwise).
        if (rr.session_id && !p.is_admin()) {
          if (!accessible_session(mgr, *req, *rr.session_id)) {
            respond(Response::error_for(*req, 404, "not_found",
                                        "Session " + *rr.session_id + " not found."));
            return;
          }
        }
        auto from = time_field(body, "from");
        auto to = time_field(body, "to");
        if (!from || !to || *to <= *from) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "from and to (ISO-8601 or unix ms, from < to) are required"));
          return;
        }
        rr.from_ms = *from;
        rr.to_ms = *to;
        if (body.contains("limit")) {
          if (!body["limit"].is_number_integer() || body["limit"].get<long long>() < 1 ||
              body["limit"].get<long long>() > webhooks::kMaxReplayEvents) {
            respond(Response::error_for(*req, 400, "invalid_argument", "limit must be 1-10000"));
            return;
          }
          rr.limit = body["limit"].get<int>();
        }
        services.run_blocking(
            [&services, &queries, rr] {
              auto& st = services.storage();
              return webhooks::replay(st.db(), queries, st.webhooks(), services.random(), rr);
            },
            [req, respond = std::move(respond)](core::Result<webhooks::ReplayResult> r) mutable {
              if (!r.ok()) {
                respond(Response::from_status(*req, r.status()));
                return;
              }
              respond(Response::json(200, {{"status", "success"},
                                           {"queued", r->queued},
                                           {"skippedPending", r->skipped_pending},
                                           {"truncated", r->truncated},
                                           {"eventIds", r->event_ids}}));
            });
      },
      http::RouteOptions().auth_tag("token-or-login").seed());
}

}  // namespace gw::api
