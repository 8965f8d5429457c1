#include "gateway/auth/principal.h"

#include "gateway/http/request.h"

namespace gw::auth {

Principal Principal::master() {
  Principal p;
  p.kind = Kind::kMaster;
  p.via = Via::kMasterKey;
  p.role = "admin";
  return p;
}

std::string_view kind_name(Principal::Kind kind) {
  switch (kind) {
    case Principal::Kind::kAnonymous:
      return "anonymous";
    case Principal::Kind::kUser:
      return "user";
    case Principal::Kind::kMaster:
      return "master";
    case Principal::Kind::kSessionToken:
      return "session_token";
  }
  return "anonymous";
}

std::string Principal::describe() const {
  switch (kind) {
    case Kind::kUser:
      return "user:" + email;
    case Kind::kSessionToken:
      return "session_token:" + session_scope;
    case Kind::kMaster:
      return "master";
    case Kind::kAnonymous:
      break;
  }
  return "anonymous";
}

std::string Principal::actor_email() const {
  switch (kind) {
    case Kind::kUser:
      return email;
    case Kind::kMaster:
      return "master-key";
    case Kind::kSessionToken:
      return "api-user";
    case Kind::kAnonymous:
      break;
  }
  return "unknown";
}

bool can_access_session(const Principal& p, std::string_view session_id,
                        const std::optional<std::string>& owner_id) {
  switch (p.kind) {
    case Principal::Kind::kMaster:
      return true;
    case Principal::Kind::kUser:
      return p.role == "admin" || (owner_id && !p.user_id.empty() && *owner_id == p.user_id);
    case Principal::Kind::kSessionToken:
      return !p.session_scope.empty() && p.session_scope == session_id;
    case Principal::Kind::kAnonymous:
      break;
  }
  return false;
}

bool can_access_owned(const Principal& p, const std::optional<std::string>& owner_id) {
  if (p.is_admin()) return true;
  return p.kind == Principal::Kind::kUser && owner_id && !p.user_id.empty() &&
         *owner_id == p.user_id;
}

bool can_create_sessions(const Principal& p) {
  return p.kind == Principal::Kind::kUser || p.kind == Principal::Kind::kMaster;
}

const Principal& principal_of(const http::Request& req) {
  static const Principal kAnonymous;
  const Principal* p = req.attribute<Principal>();
  return p ? *p : kAnonymous;
}

}  // namespace gw::auth
