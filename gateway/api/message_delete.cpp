// DELETE /api/v1/message {sessionId, messageId, remoteJid} (seed §2.3): sends a revoke ("delete
// for everyone", key fromMe=true) for a message this session sent in remoteJid. The revoke is
// itself an outbound message (type "revoke"), queued and persisted like any other, so it survives
// a restart. Unlike the seed, nothing is "cleared locally" (there is no local chat store) and an
// unknown message is a 404 instead of a silent "Attempted to delete".
#include "gateway/api/account_routes.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"

namespace gw::api {

void install_message_delete_route(http::Router& router, MessagingDeps& deps) {
  using http::RequestPtr;
  using http::Responder;
  using http::Response;
  auto& mgr = deps.sessions;
  router.del(
      "/api/v1/message",
      [&mgr](const RequestPtr& req, Responder respond) {
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
          return;
        }
        auto str = [&](const char* key) -> std::string {
          if (!body.is_object() || !body.contains(key) || !body[key].is_string()) return "";
          return body[key].get<std::string>();
        };
        const std::string sid = str("sessionId");
        const std::string mid = str("messageId");
        const std::string remote = str("remoteJid");
        if (sid.empty() || mid.empty() || remote.empty()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "sessionId, messageId and remoteJid are required."));
          return;
        }
        if (mid.size() > 128) {
          respond(Response::error_for(*req, 400, "invalid_argument", "messageId is too long."));
          return;
        }
        auto chat = recipient_jid(remote, "");
        if (!chat.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "remoteJid: " + chat.status().message()));
          return;
        }
        auto s = accessible_session(mgr, *req, sid);
        if (!s || !sessions::accepts_messages(*s)) {
          respond(Response::error_for(*req, 404, "not_found",
                                      "Session " + sid + " not found or not connected."));
          return;
        }
        auto shared = share(std::move(respond));
        mgr.send(
            sid, revoke_message(*chat, mid),
            [req, mid, shared](core::Result<sessions::SendOutcome> r) {
              if (!r.ok()) {
                const bool missing = r.status().code() == core::StatusCode::kNotFound;
                (*shared)(missing ? Response::error_for(*req, 404, "not_found",
                                                        "Message " + mid + " not found.")
                                  : Response::from_status(*req, r.status()));
                return;
              }
              (*shared)(Response::json(200, {{"status", "success"},
                                             {"message", "Attempted to delete message ID " + mid},
                                             {"revokeId", r->record.message_id}}));
            });
      },
      http::RouteOptions().auth_tag("session-access").seed());
}

}  // namespace gw::api
