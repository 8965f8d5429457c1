// Helpers shared by the routes that query a connected session's wa::Client directly (groups.cpp,
// contacts.cpp): resolving ?sessionId= to a client the caller may use, mapping the client's IQ
// errors to HTTP answers, and turning a phone number or user JID from a request into a JID.
//
// Ownership: SessionClient holds a shared_ptr that keeps the client alive while a query runs.
// Threading: network thread only (SessionManager is not thread-safe).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "gateway/api/account_routes.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"
#include "wa/client/client.h"
#include "wa/client/queries.h"

namespace gw::api {

struct SessionClient {
  std::string session_id;
  std::shared_ptr<wa::client::Client> client;  // null: answer status_response instead
  http::Response status_response;
  bool ok() const { return client != nullptr; }
};

// 400 when ?sessionId= is missing; 404 "Session S not found or not connected." when the session
// does not exist, the caller may not use it (no existence oracle), or it is not CONNECTED.
inline SessionClient session_client(MessagingDeps& deps, const http::Request& req) {
  SessionClient out;
  auto sid = req.query_param("sessionId");
  if (!sid || sid->empty()) {
    out.status_response = http::Response::error_for(req, 400, "invalid_argument",
                                                    "sessionId query parameter is required");
    return out;
  }
  out.session_id = *sid;
  if (accessible_session(deps.sessions, req, *sid)) {
    out.client = deps.sessions.connected_client(*sid);
  }
  if (!out.client) {
    out.status_response = http::Response::error_for(
        req, 404, "not_found", "Session " + *sid + " not found or not connected.");
  }
  return out;
}

// The client reports server IQ errors as FailedPrecondition "iq error <code> <text>"; map the
// codes a caller can act on, everything else by status code (timeouts 504, offline 503).
inline http::Response client_error(const http::Request& req, const core::Status& st,
                                   const std::string& what) {
  const std::string& m = st.message();
  if (m.rfind("iq error 404", 0) == 0) {
    return http::Response::error_for(req, 404, "not_found", what + " not found.");
  }
  if (m.rfind("iq error 403", 0) == 0 || m.rfind("iq error 401", 0) == 0) {
    return http::Response::error_for(req, 403, "forbidden",
                                     "WhatsApp refused the request for " + what + ".");
  }
  if (m.rfind("iq error 400", 0) == 0 || m.rfind("iq error 406", 0) == 0) {
    return http::Response::error_for(req, 400, "invalid_argument",
                                     "WhatsApp rejected the request for " + what + ".");
  }
  if (m.rfind("iq error", 0) == 0) {
    return http::Response::error_for(req, 502, "upstream_error", "WhatsApp error: " + m);
  }
  return http::Response::from_status(req, st);
}

// "+1 555 123 4567" / "15551234567@s.whatsapp.net" / "123…@lid" → a user JID (device suffix
// refused). InvalidArgument naming the input otherwise.
inline core::Result<std::string> user_jid_of(std::string_view input) {
  const auto at = input.find('@');
  if (at == std::string_view::npos) {
    CORE_ASSIGN_OR_RETURN(std::string digits, wa::client::normalize_phone_number(input));
    return digits + "@s.whatsapp.net";
  }
  const std::string_view user = input.substr(0, at);
  const std::string_view server = input.substr(at + 1);
  bool ok = !user.empty() && user.size() <= 20 && (server == "s.whatsapp.net" || server == "lid");
  for (char c : user) ok = ok && c >= '0' && c <= '9';
  if (!ok) return core::Status::invalid_argument("invalid participant: " + std::string(input));
  return std::string(input);
}

}  // namespace gw::api
