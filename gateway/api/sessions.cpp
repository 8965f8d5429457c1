// /api/v1/sessions: create (login or master key), list (never tokens; role-filtered), get,
// delete, QR (json|svg|png), pairing code, logout, token rotation, and the sandbox scan.
#include <cctype>

#include "core/bytes.h"
#include "gateway/api/account_routes.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"
#include "gateway/services.h"
#include "wa/pairing/qr.h"

namespace gw::api {

std::optional<sessions::SessionSnapshot> accessible_session(const sessions::SessionManager& mgr,
                                                            const http::Request& req,
                                                            const std::string& id) {
  auto s = mgr.find(id);
  if (!s || !auth::can_access_session(auth::principal_of(req), id, s->owner_id)) {
    return std::nullopt;
  }
  return s;
}
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

nlohmann::json session_item(const sessions::SessionSnapshot& s) {
  nlohmann::json j = sessions::snapshot_json(s);
  return j;
}

Response not_found(const http::Request& req, const std::string& id) {
  return Response::error_for(req, 404, "not_found", "Session " + id + " not found.");
}

}  // namespace

std::string normalize_session_id(std::string_view raw) {
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front())))
    raw.remove_prefix(1);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  std::string out;
  bool in_space = false;
  for (char c : raw) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!in_space) out.push_back('_');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return out;
}

void install_sessions_routes(http::Router& router, MessagingDeps& deps) {
  auto& mgr = deps.sessions;
  Services& services = deps.services;
  auth::ActivityLog& activity = deps.activity;
  const auto seed = [](std::string tag) {
    return http::RouteOptions().auth_tag(std::move(tag)).seed();
  };

  router.post(
      "/api/v1/sessions",
      [&mgr, &activity, &deps](const RequestPtr& req, Responder respond) {
        const auth::Principal& p = auth::principal_of(*req);
        if (!auth::can_create_sessions(p)) {
          respond(Response::error_for(
              *req, 401, "unauthenticated",
              deps.master_key_configured
                  ? "Master API key required for session creation"
                  : "Session creation requires a dashboard login (MASTER_API_KEY is not "
                    "configured on this server, so the x-master-key header cannot be used)"));
          return;
        }
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
          return;
        }
        if (!body.is_object() || !body.contains("sessionId") || !body["sessionId"].is_string() ||
            normalize_session_id(body["sessionId"].get<std::string>()).empty()) {
          respond(Response::error_for(*req, 400, "invalid_argument", "sessionId is required"));
          return;
        }
        const std::string id = normalize_session_id(body["sessionId"].get<std::string>());
        if (!sessions::valid_session_id(id)) {
          respond(Response::error_for(
              *req, 400, "invalid_argument",
              "sessionId must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"));
          return;
        }
        std::optional<std::string> owner_id;
        std::string owner_email;
        if (p.is_user()) {
          owner_id = p.user_id;
          owner_email = p.email;
        }
        auto shared = share(std::move(respond));
        mgr.create(
            id, owner_id, owner_email,
            [req, shared, id, &activity,
             user = p.is_user()](core::Result<sessions::SessionManager::Created> r) {
              if (!r.ok()) {
                int status = r.status().code() == core::StatusCode::kAlreadyExists        ? 409
                             : r.status().code() == core::StatusCode::kInvalidArgument    ? 400
                             : r.status().code() == core::StatusCode::kFailedPrecondition ? 429
                                                                                          : 500;
                (*shared)(Response::error_for(
                    *req, status, std::string(http::error_code_for(r.status().code())),
                    status == 500 ? "Failed to create session: " + r.status().message()
                                  : r.status().message()));
                return;
              }
              if (user)
                activity.record_request(*req, "create", "session", id, nlohmann::json::object());
              (*shared)(Response::json(201, {{"status", "success"},
                                             {"message", "Session " + id + " created."},
                                             {"token", r->token},
                                             {"webhookSecret", r->webhook_secret}}));
            });
      },
      seed("optional"));

  router.get("/api/v1/sessions", http::sync([&mgr](http::Request& req) {
               const auth::Principal& p = auth::principal_of(req);
               nlohmann::json out = nlohmann::json::array();
               for (const auto& s : mgr.list()) {
                 if (auth::can_access_session(p, s.id, s.owner_id)) out.push_back(session_item(s));
               }
               return Response::json(200, out);
             }),
             seed("token-or-login"));

  router.get("/api/v1/sessions/:id", http::sync([&mgr](http::Request& req) {
               const std::string id(req.param("id"));
               auto s = accessible_session(mgr, req, id);
               if (!s) return not_found(req, id);
               return Response::json(200, session_item(*s));
             }),
             seed("session-access"));

  router.del(
      "/api/v1/sessions/:id",
      [&mgr, &activity](const RequestPtr& req, Responder respond) {
        const std::string id(req->param("id"));
        if (!accessible_session(mgr, *req, id)) {
          respond(not_found(*req, id));
          return;
        }
        auto shared = share(std::move(respond));
        mgr.remove(id, [req, shared, id, &activity](core::Status st) {
          if (!st.ok()) {
            (*shared)(Response::from_status(*req, st));
            return;
          }
          activity.record_request(*req, "delete", "session", id, nlohmann::json::object());
          (*shared)(Response::json(
              200, {{"status", "success"}, {"message", "Session " + id + " deleted."}}));
        });
      },
      seed("session-access"));

  router.get("/api/v1/sessions/:id/qr", http::sync([&mgr](http::Request& req) {
               const std::string id(req.param("id"));
               auto s = mgr.find(id);
               if (!s) return not_found(req, id);
               const std::string format = req.query_param("format").value_or("json");
               if (format != "json" && format != "svg" && format != "png") {
                 return Response::error_for(req, 400, "invalid_argument",
                                            "format must be json, svg or png");
               }
               if (s->state == sessions::State::kConnected) {
                 return Response::error_for(req, 409, "failed_precondition",
                                            "Session " + id + " is already connected.");
               }
               if (s->qr.empty()) {
                 mgr.ensure_qr(id);
                 return Response::error_for(req, 404, "not_found",
                                            "No QR code for session " + id + " yet; retry shortly.")
                     .header("Retry-After", "2");
               }
               if (format == "svg") {
                 auto svg = wa::pairing::render_qr_svg(s->qr);
                 if (!svg.ok()) return Response::from_status(req, svg.status());
                 return Response::text(200, std::move(*svg), "image/svg+xml")
                     .header("Cache-Control", "no-store");
               }
               if (format == "png") {
                 auto png = wa::pairing::render_qr_png(s->qr);
                 if (!png.ok()) return Response::from_status(req, png.status());
                 return Response::text(200, std::string(png->begin(), png->end()), "image/png")
                     .header("Cache-Control", "no-store");
               }
               return Response::json(200, {{"qr", s->qr},
                                           {"expiresAt", auth::iso_time(s->qr_expires_at * 1000)},
                                           {"expiresAtUnix", s->qr_expires_at}})
                   .header("Cache-Control", "no-store");
             }),
             seed("session-access"));

  router.post(
      "/api/v1/sessions/:id/pairing-code",
      [&mgr](const RequestPtr& req, Responder respond) {
        const std::string id(req->param("id"));
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
          return;
        }
        std::string phone;
        if (body.is_object() && body.contains("phone") && body["phone"].is_string()) {
          for (char c : body["phone"].get<std::string>()) {
            if (std::isdigit(static_cast<unsigned char>(c))) {
              phone.push_back(c);
            } else if (c != '+' && c != ' ' && c != '-') {
              phone.clear();
              break;
            }
          }
        }
        if (phone.size() < 8 || phone.size() > 15) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "phone must be 8-15 digits (international format)"));
          return;
        }
        auto shared = share(std::move(respond));
        mgr.request_pair_code(id, phone, [req, shared](core::Result<std::string> r) {
          if (!r.ok()) {
            (*shared)(Response::from_status(*req, r.status()));
            return;
          }
          (*shared)(Response::json(200, {{"status", "success"}, {"code", *r}}));
        });
      },
      seed("session-access"));

  router.post(
      "/api/v1/sessions/:id/logout",
      [&mgr](const RequestPtr& req, Responder respond) {
        const std::string id(req->param("id"));
        auto shared = share(std::move(respond));
        mgr.logout(id, [req, shared, id](core::Status st) {
          if (!st.ok()) {
            (*shared)(Response::from_status(*req, st));
            return;
          }
          (*shared)(Response::json(
              200, {{"status", "success"}, {"message", "Session " + id + " logged out."}}));
        });
      },
      seed("session-access"));

  router.post(
      "/api/v1/sessions/:id/token/rotate",
      [&mgr, &services](const RequestPtr& req, Responder respond) {
        const std::string id(req->param("id"));
        if (!mgr.find(id)) {
          respond(not_found(*req, id));
          return;
        }
        services.run_blocking(
            [&services, id] { return services.storage().tokens().issue_session_token(id); },
            [req, id, respond = std::move(respond)](
                core::Result<storage::TokenRepository::Issued> r) mutable {
              if (!r.ok()) {
                respond(Response::from_status(*req, r.status()));
                return;
              }
              respond(Response::json(200, {{"status", "success"},
                                           {"message", "Token for session " + id + " rotated."},
                                           {"token", r->token}}));
            });
      },
      seed("session-access"));

  if (deps.sandbox) {
    sessions::Sandbox& sandbox = *deps.sandbox;
    router.post(
        "/api/v1/sessions/:id/sandbox/scan",
        [&mgr, &sandbox](const RequestPtr& req, Responder respond) {
          const std::string id(req->param("id"));
          auto s = mgr.find(id);
          if (!s) {
            respond(not_found(*req, id));
            return;
          }
          if (s->state == sessions::State::kConnected) {
            respond(Response::error_for(*req, 409, "failed_precondition",
                                        "Session " + id + " is already connected."));
            return;
          }
          if (s->qr.empty()) {
            mgr.ensure_qr(id);
            respond(Response::error_for(*req, 409, "failed_precondition",
                                        "Session " + id + " has no QR code yet; retry shortly.")
                        .header("Retry-After", "2"));
            return;
          }
          const std::string phone = sessions::Sandbox::phone_for(id);
          auto shared = share(std::move(respond));
          sandbox.link(phone, s->qr, [req, shared, id, phone](core::Result<std::string> r) {
            if (!r.ok()) {
              (*shared)(Response::from_status(*req, r.status()));
              return;
            }
            (*shared)(Response::json(200, {{"status", "success"},
                                           {"message", "Session " + id + " linked (sandbox)."},
                                           {"phone", phone},
                                           {"jid", *r}}));
          });
        },
        seed("session-access"));
  }
}

}  // namespace gw::api
