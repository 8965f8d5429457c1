// AuthService: the gateway's security core. It turns request credentials into a Principal,
// enforces each route's auth tag (RouteOptions::auth) in one middleware, runs the login flow
// (argon2id, legacy single password, throttle and lockout, session regeneration), issues the
// server-side cookie sessions and their CSRF tokens, and rate-limits bearer credentials.
//
// Credentials, in precedence order (a credential that is present but wrong is an error; the
// middleware never falls back to a weaker one):
//   x-master-key: <MASTER_API_KEY>       → Principal::master() (constant-time compare; refused
//                                          outright when MASTER_API_KEY is not configured)
//   Authorization: Bearer <token>        → session token (slt_…, scoped to its WhatsApp session)
//                                          or a user API key (slk_…, acts as that user)
//   Cookie: sl.sid=<id>                  → the logged-in dashboard user (HttpOnly, SameSite=Lax,
//                                          Secure on HTTPS); only its SHA-256 is stored
//
// Auth tags (RouteOptions::auth_tag):
//   ""  / "public"    no credential examined; the Principal is anonymous.
//   "optional"        credentials examined when present (a wrong bearer/master key → 401/403; a
//                     stale cookie → anonymous); the handler filters by principal_of(req).
//   "login"           a user (cookie or API key, any role) or the master key. 401 otherwise.
//   "admin"           an admin user or the master key. 401 anonymous, 403 other users.
//   "master"          the master key only.
//   "token"           a session token or the master key.
//   "token-or-login"  a session token, a user, or the master key.
//   "session-access"  like "token-or-login", and the request must name a WhatsApp session.
// For "token", "token-or-login" and "session-access", every session the request names — route
// parameter :sessionId (or :id under /sessions/), query ?sessionId=, JSON body "sessionId" — is
// checked with can_access_session (token scope, owner, admin): this is what closes seed hole
// 17.1.5 (the seed's guard could not see route params). Distinct ids in one request → 400. A
// session that does not exist passes (the handler answers 404, or creates it).
// CSRF: a cookie-authenticated POST/PUT/PATCH/DELETE on a non-public route must carry
// X-CSRF-Token equal to the session's token (login response, GET /api/v1/me, GET /api/v1/csrf);
// bearer and master-key requests are exempt (browsers cannot attach those cross-site).
//
// Ownership: borrows Services and ActivityLog (which must outlive it); owns the throttle, the
// per-token rate limiter and the ws tickets.
// Threading: the middleware and login() are called on the network thread; blocking work goes
// to the pool and continues on the network thread. Listeners run on the network thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gateway/auth/activity.h"
#include "gateway/auth/login_throttle.h"
#include "gateway/auth/principal.h"
#include "gateway/auth/ws_tickets.h"
#include "gateway/http/rate_limit.h"
#include "gateway/http/router.h"
#include "storage/account_repositories.h"
#include "storage/password.h"

namespace gw {
class Services;
namespace config {
struct Config;
}
}  // namespace gw

namespace gw::auth {

inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

struct AuthOptions {
  std::string cookie_name = "sl.sid";
  std::chrono::seconds session_ttl{24 * 3600};  // as the seed's express-session maxAge
  storage::PasswordCost password_cost = storage::PasswordCost::kInteractive;
  LoginThrottleOptions throttle;
  uint32_t token_rate_per_minute = 600;  // per bearer token / master key; 0 = off
  std::string legacy_admin_email = "admin@localhost";
  std::string admin_dashboard_password;  // empty = legacy login disabled (hole 17.1.1)
  std::string master_api_key;            // empty = x-master-key refused
  bool https = false;                    // public URL is https: cookies always Secure

  static AuthOptions from_config(const config::Config& config);
};

struct LoginRequest {
  std::optional<std::string> email;     // absent/empty → legacy single-password login
  std::optional<std::string> password;  // absent or not a string → always refused
  std::string ip;
  std::optional<std::string> user_agent;
  std::optional<std::string> previous_cookie;  // revoked: the session id is regenerated
};

struct LoginOutcome {
  enum class Result { kOk, kInvalid, kLocked, kError };
  Result result = Result::kInvalid;
  std::chrono::seconds retry_after{0};  // kLocked
  storage::User user;                   // kOk
  std::string cookie;                   // kOk: raw session id, set as the cookie, never logged
  std::string csrf_token;               // kOk
  bool legacy = false;                  // kOk via ADMIN_DASHBOARD_PASSWORD
  core::Status error;                   // kError
};

class AuthService {
 public:
  AuthService(Services& services, ActivityLog& activity, AuthOptions options);
  ~AuthService();
  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;

  const AuthOptions& options() const { return options_; }
  WsTicketStore& tickets() { return *tickets_; }
  LoginThrottle& throttle() { return throttle_; }

  // The middleware that enforces auth tags; install it with router.use().
  http::Middleware middleware();

  // Runs the whole login (throttle, verification, session creation, activity row). `done` runs
  // on the network thread.
  void login(LoginRequest request, std::function<void(LoginOutcome)> done);
  // Ends the cookie session of `req` (if any). `done` on the network thread.
  void logout(const http::Request& req, std::function<void(core::Status)> done);

  // The CSRF token of the cookie session whose SHA-256 is `auth_session_hash`.
  std::string csrf_token_for(std::string_view auth_session_hash) const;
  // The CSRF token for the request's principal, or "" when it is not a cookie session.
  std::string csrf_token_for(const Principal& p) const;
  // The Set-Cookie options for a request (Secure on HTTPS).
  http::CookieOptions cookie_options(const http::Request& req, bool clear = false) const;
  bool master_key_matches(std::string_view presented) const;

  // Password hashing at the configured cost (users routes).
  core::Result<std::string> hash_password(std::string_view password) const;

  // Called (network thread) after a user's login sessions were revoked — disabled, demoted,
  // password changed or deleted — so live-feed connections and tickets of that user end too.
  void add_revocation_listener(std::function<void(const std::string& user_id)> fn);
  void notify_user_revoked(const std::string& user_id);

  // Resolves the credentials of `req` (no tag enforcement). Network thread → `done` on the
  // network thread with the principal, or an error response for a wrong credential.
  void resolve(const http::RequestPtr& req,
               std::function<void(std::optional<Principal>, std::optional<http::Response>)> done);

 private:
  struct Resolved;
  void enforce(const http::RequestPtr& req, const std::string& tag, Principal principal,
               http::Next next);
  void check_sessions(const http::RequestPtr& req, const std::string& tag, Principal principal,
                      http::Next next);
  LoginOutcome login_blocking(const LoginRequest& request);
  const std::string& dummy_hash();

  Services& services_;
  ActivityLog& activity_;
  AuthOptions options_;
  core::Bytes csrf_key_;
  LoginThrottle throttle_;
  std::shared_ptr<http::RateLimiter> token_limiter_;
  std::unique_ptr<WsTicketStore> tickets_;
  std::vector<std::function<void(const std::string&)>> revocation_listeners_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
};

// The session ids a request names (route param, query, JSON body), deduplicated. InvalidArgument
// when they disagree.
core::Result<std::vector<std::string>> named_sessions(const http::Request& req);

// Basic e-mail shape check for user management (local@domain.tld, no spaces or control
// characters, at most 191 bytes — the column size).
bool valid_email(std::string_view email);

}  // namespace gw::auth
