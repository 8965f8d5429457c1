// The legacy routes (seed-system.md §2.4), working this time (the seed answered 500 to every
// call): POST /api/send-message (JSON {sessionId, number, message}) and POST /api/message
// (form-data or JSON {phone, message, sessionId?}; without sessionId, a session token's own
// session). Both need a session token (or the master key) and answer one result object in the
// v1 shape.
#include <cctype>

#include "gateway/api/account_routes.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"
#include "wa/client/messages.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

bool valid_number(const std::string& n) {
  if (n.size() < 8 || n.size() > 15) return false;
  for (char c : n) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void send_one(sessions::SessionManager& mgr, const RequestPtr& req, Responder respond,
              const std::string& session_id, const std::string& number,
              const std::string& message) {
  if (session_id.empty()) {
    respond(Response::error_for(*req, 400, "invalid_argument", "sessionId is required"));
    return;
  }
  if (!valid_number(number)) {
    respond(Response::error_for(*req, 400, "invalid_argument",
                                "number must be 8-15 digits (international format, no '+')"));
    return;
  }
  if (message.empty() || message.size() > kMaxTextLength) {
    respond(
        Response::error_for(*req, 400, "invalid_argument", "message must be 1-4096 characters"));
    return;
  }
  auto s = accessible_session(mgr, *req, session_id);
  if (!s || !sessions::accepts_messages(*s)) {
    respond(Response::error_for(*req, 404, "not_found",
                                "Session " + session_id + " not found or not connected."));
    return;
  }
  sessions::OutgoingMessage out;
  out.to_jid = number + "@s.whatsapp.net";
  out.type = "text";
  out.body = {{"text", message}};
  out.message = wa::client::make_text(message);
  if (auto key = req->header("Idempotency-Key"); key && !key->empty() && key->size() <= 128) {
    out.idempotency_key = std::string(*key);
  }
  const std::string jid = out.to_jid;
  auto shared = share(std::move(respond));
  mgr.send(session_id, std::move(out), [req, shared, jid](core::Result<sessions::SendOutcome> r) {
    if (!r.ok()) {
      (*shared)(Response::from_status(*req, r.status()));
      return;
    }
    (*shared)(Response::json(200, {{"status", "success"},
                                   {"message", "Message sent to " + jid},
                                   {"messageId", r->record.message_id}}));
  });
}

std::string json_string(const nlohmann::json& body, const char* key) {
  if (!body.is_object() || !body.contains(key)) return "";
  const auto& v = body[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  return "";
}

}  // namespace

void install_legacy_routes(http::Router& router, MessagingDeps& deps) {
  auto& mgr = deps.sessions;
  router.post(
      "/api/send-message",
      [&mgr](const RequestPtr& req, Responder respond) {
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
          return;
        }
        std::string session_id = json_string(body, "sessionId");
        const auth::Principal& p = auth::principal_of(*req);
        if (session_id.empty()) session_id = p.session_scope;
        send_one(mgr, req, std::move(respond), session_id, json_string(body, "number"),
                 json_string(body, "message"));
      },
      http::RouteOptions().auth_tag("token").seed().rate("legacy"));

  router.post(
      "/api/message",
      [&mgr](const RequestPtr& req, Responder respond) {
        std::string phone, message, session_id;
        if (req->form) {
          phone = std::string(req->form->field("phone").value_or(""));
          message = std::string(req->form->field("message").value_or(""));
          session_id = std::string(req->form->field("sessionId").value_or(""));
        } else {
          nlohmann::json body;
          if (auto st = req->parse_json(body); !st.ok()) {
            respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
            return;
          }
          phone = json_string(body, "phone");
          message = json_string(body, "message");
          session_id = json_string(body, "sessionId");
        }
        const auth::Principal& p = auth::principal_of(*req);
        if (session_id.empty()) session_id = p.session_scope;
        send_one(mgr, req, std::move(respond), session_id, phone, message);
      },
      http::RouteOptions().auth_tag("token").seed().rate("legacy").uploads().limit(64 * 1024));
}

}  // namespace gw::api
