// Principal: who is making a request, as the auth middleware established it, and the ownership
// rules every resource route uses. A route never decides access by itself from headers: it asks
// the Principal attached to the Request (auth::principal_of(req)) and these helpers.
//
//   kind            credential                         may act on
//   kUser           sl.sid cookie or a user API key    own sessions/campaigns/lists/logs;
//                                                      everything when role == "admin"
//   kMaster         x-master-key == MASTER_API_KEY     everything (admin for the whole API)
//   kSessionToken   Authorization: Bearer <slt_…>      only its own WhatsApp session
//   kAnonymous      none                               public routes only
//
// Ownership: plain value, copied into the Request (set_attribute) and into live-feed clients.
// Threading: immutable once built; safe to share.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gw::http {
class Request;
}

namespace gw::auth {

enum class Via {
  kNone,
  kCookie,     // dashboard login session: writes need the CSRF header
  kApiKey,     // a user's API key (Bearer slk_…)
  kMasterKey,  // x-master-key
  kSessionToken,
};

struct Principal {
  enum class Kind { kAnonymous, kUser, kMaster, kSessionToken };

  Kind kind = Kind::kAnonymous;
  Via via = Via::kNone;
  std::string user_id;        // kUser (and the legacy admin, which is a real DB user)
  std::string email;          // kUser
  std::string role;           // "admin" | "user" for kUser; "admin" for kMaster; "" otherwise
  std::string session_scope;  // kSessionToken: the one WhatsApp session it may act on
  std::string token_id;       // kSessionToken / API key: the api_tokens row id (never the token)
  std::string auth_session_hash;  // kCookie: SHA-256 of the cookie (for CSRF and logout)

  static Principal anonymous() { return {}; }
  static Principal master();

  bool authenticated() const { return kind != Kind::kAnonymous; }
  bool is_user() const { return kind == Kind::kUser; }
  // Admin rights: an admin user or the master key.
  bool is_admin() const {
    return kind == Kind::kMaster || (kind == Kind::kUser && role == "admin");
  }
  // "kind:detail" for logs and activity rows — never a secret.
  std::string describe() const;
  // The name recorded as the acting user in activity rows ("api-user" for tokens, as the seed).
  std::string actor_email() const;
};

std::string_view kind_name(Principal::Kind kind);

// --- ownership checks (every session/campaign/list/log/activity route uses these) ---

// A WhatsApp session with this id and owner (users.id, or nullopt for unowned/system sessions).
bool can_access_session(const Principal& p, std::string_view session_id,
                        const std::optional<std::string>& owner_id);
// A resource owned by a user (campaign, recipient list, activity row, system-log entry).
// Session tokens own nothing of this kind.
bool can_access_owned(const Principal& p, const std::optional<std::string>& owner_id);
// Creating sessions/users-level objects: any user, or the master key.
bool can_create_sessions(const Principal& p);

// The principal the auth middleware attached (anonymous when none was).
const Principal& principal_of(const http::Request& req);

}  // namespace gw::auth
