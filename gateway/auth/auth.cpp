#include "gateway/auth/auth.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "core/encoding.h"
#include "core/log.h"
#include "crypto/hash.h"
#include "crypto/hmac.h"
#include "crypto/util.h"
#include "gateway/config/config.h"
#include "gateway/http/headers.h"
#include "gateway/services.h"

namespace gw::auth {
namespace {

using http::Request;
using http::RequestPtr;
using http::Response;

std::string sha256_hex(std::string_view s) {
  return core::hex_encode(crypto::sha256(core::as_view(s)));
}

bool is_write_method(std::string_view m) {
  return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

// A plausible bearer secret or cookie value: printable, no separators, bounded.
bool plausible_secret(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '~' || c == '+' || c == '/' || c == '=';
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Principal user_principal(const storage::User& u, Via via) {
  Principal p;
  p.kind = Principal::Kind::kUser;
  p.via = via;
  p.user_id = u.id;
  p.email = u.email;
  p.role = u.role;
  return p;
}

bool known_tag(std::string_view tag) {
  for (std::string_view t :
       {"optional", "login", "admin", "master", "token", "token-or-login", "session-access"}) {
    if (tag == t) return true;
  }
  return false;
}

std::shared_ptr<spdlog::logger> log() { return core::get_logger("gw.auth"); }

}  // namespace

struct AuthService::Resolved {
  std::optional<Principal> principal;
  std::optional<Response> error;
};

AuthOptions AuthOptions::from_config(const config::Config& config) {
  AuthOptions o;
  o.admin_dashboard_password = config.admin_dashboard_password;
  o.master_api_key = config.master_api_key;
  o.https = config.https;
  o.token_rate_per_minute = static_cast<uint32_t>(config.token_rate_limit_per_minute);
  return o;
}

AuthService::AuthService(Services& services, ActivityLog& activity, AuthOptions options)
    : services_(services),
      activity_(activity),
      options_(std::move(options)),
      throttle_(options_.throttle, services.clock()),
      tickets_(std::make_unique<WsTicketStore>(services.clock(), services.random())) {
  // The CSRF key is derived from the storage master key, so tokens survive a restart exactly as
  // long as the cookie sessions they belong to.
  csrf_key_ = crypto::hmac_sha256(services_.storage().master_key().key,
                                  core::as_view(std::string_view("superlight csrf v1")));
  if (options_.token_rate_per_minute > 0) {
    http::RateLimitOptions o;
    o.limit = options_.token_rate_per_minute;
    o.window = std::chrono::seconds(60);
    token_limiter_ = std::make_shared<http::RateLimiter>(o, services.clock());
  }
}

AuthService::~AuthService() = default;

std::string AuthService::csrf_token_for(std::string_view auth_session_hash) const {
  return core::hex_encode(crypto::hmac_sha256(csrf_key_, core::as_view(auth_session_hash)));
}

std::string AuthService::csrf_token_for(const Principal& p) const {
  if (p.via != Via::kCookie || p.auth_session_hash.empty()) return "";
  return csrf_token_for(p.auth_session_hash);
}

http::CookieOptions AuthService::cookie_options(const Request& req, bool clear) const {
  http::CookieOptions o;
  o.path = "/";
  o.http_only = true;
  o.same_site = "Lax";
  o.secure = req.secure || options_.https;
  o.max_age_seconds = clear ? 0L : static_cast<long>(options_.session_ttl.count());
  return o;
}

bool AuthService::master_key_matches(std::string_view presented) const {
  if (options_.master_api_key.empty()) return false;
  // Hash both sides first: equal-length inputs, so the comparison time reveals nothing, not even
  // the key's length.
  auto a = crypto::sha256(core::as_view(presented));
  auto b = crypto::sha256(core::as_view(options_.master_api_key));
  return crypto::constant_time_equal(a, b);
}

core::Result<std::string> AuthService::hash_password(std::string_view password) const {
  return storage::hash_password(password, options_.password_cost);
}

void AuthService::add_revocation_listener(std::function<void(const std::string&)> fn) {
  revocation_listeners_.push_back(std::move(fn));
}

void AuthService::notify_user_revoked(const std::string& user_id) {
  tickets_->revoke_user(user_id);
  for (auto& fn : revocation_listeners_) fn(user_id);
}

// ---- credential resolution ----

void AuthService::resolve(
    const RequestPtr& req,
    std::function<void(std::optional<Principal>, std::optional<Response>)> done) {
  auto rate_check = [this](const std::string& key) -> std::optional<Response> {
    if (!token_limiter_) return std::nullopt;
    auto d = token_limiter_->take(key);
    if (d.allowed) return std::nullopt;
    return http::too_many_requests(d);
  };

  if (auto mk = req->header("x-master-key")) {
    if (options_.master_api_key.empty()) {
      done(std::nullopt, Response::error_for(*req, 401, "unauthenticated",
                                             "x-master-key is not accepted: MASTER_API_KEY is "
                                             "not configured on this server"));
      return;
    }
    if (!master_key_matches(*mk)) {
      done(std::nullopt, Response::error_for(*req, 401, "unauthenticated", "Invalid master key"));
      return;
    }
    if (auto refused = rate_check("master")) {
      done(std::nullopt, std::move(refused));
      return;
    }
    done(Principal::master(), std::nullopt);
    return;
  }

  if (auto authz = req->header("Authorization")) {
    std::string_view v = trim(*authz);
    size_t sp = v.find(' ');
    std::string_view scheme = v.substr(0, sp);
    std::string_view token = sp == std::string_view::npos ? "" : trim(v.substr(sp + 1));
    if (!http::iequals(scheme, "Bearer") || !plausible_secret(token)) {
      done(std::nullopt,
           Response::error_for(*req, 401, "unauthenticated",
                               "Malformed Authorization header (expected: Bearer <token>)"));
      return;
    }
    services_.run_blocking(
        [this, token = std::string(token)]() -> Resolved {
          auto rec = services_.storage().tokens().authenticate(token);
          if (!rec.ok()) return {std::nullopt, std::nullopt};
          if (!*rec) return {std::nullopt, std::nullopt};
          const storage::ApiToken& t = **rec;
          if (t.kind == "session" && t.session_id) {
            Principal p;
            p.kind = Principal::Kind::kSessionToken;
            p.via = Via::kSessionToken;
            p.session_scope = *t.session_id;
            p.token_id = t.id;
            return {p, std::nullopt};
          }
          if (t.kind == "api_key" && t.user_id) {
            auto u = services_.storage().users().find_by_id(*t.user_id);
            if (!u.ok() || !*u || !(*u)->active) return {std::nullopt, std::nullopt};
            Principal p = user_principal(**u, Via::kApiKey);
            p.token_id = t.id;
            return {p, std::nullopt};
          }
          return {std::nullopt, std::nullopt};
        },
        [this, req, done = std::move(done), rate_check](Resolved r) mutable {
          if (!r.principal) {
            // The seed's answer for an unknown token.
            done(std::nullopt, Response::error_for(*req, 403, "forbidden", "Invalid token"));
            return;
          }
          if (auto refused = rate_check("tok:" + r.principal->token_id)) {
            done(std::nullopt, std::move(refused));
            return;
          }
          done(std::move(r.principal), std::nullopt);
        });
    return;
  }

  auto cookie = req->cookie(options_.cookie_name);
  if (!cookie || !plausible_secret(*cookie)) {
    done(Principal::anonymous(), std::nullopt);
    return;
  }
  services_.run_blocking(
      [this, cookie = *cookie]() -> std::optional<Principal> {
        auto s = services_.storage().auth_sessions().find_valid(cookie);
        if (!s.ok()) {
          log()->warn("login session lookup failed: {}", s.status().message());
          return std::nullopt;
        }
        if (!*s) return std::nullopt;
        auto u = services_.storage().users().find_by_id((*s)->user_id);
        if (!u.ok() || !*u || !(*u)->active) return std::nullopt;
        Principal p = user_principal(**u, Via::kCookie);
        p.auth_session_hash = sha256_hex(cookie);
        return p;
      },
      [done = std::move(done)](std::optional<Principal> p) mutable {
        // A stale or unknown cookie is simply no login (browsers keep old cookies).
        done(p ? std::move(*p) : Principal::anonymous(), std::nullopt);
      });
}

http::Middleware AuthService::middleware() {
  http::Middleware m;
  m.name = "auth";
  m.before = [this](const RequestPtr& req, http::Next next) {
    const std::string tag = req->options().auth;
    if (tag.empty() || tag == "public") {
      next(std::nullopt);
      return;
    }
    if (!known_tag(tag)) {
      // Fail closed: a typo in a route's tag must not make it public.
      log()->error("route {} has unknown auth tag '{}'", req->route_pattern, tag);
      next(Response::error_for(*req, 500, "internal_error", "route misconfigured"));
      return;
    }
    resolve(req, [this, req, tag, next](std::optional<Principal> p,
                                        std::optional<Response> error) mutable {
      if (error) {
        next(std::move(*error));
        return;
      }
      enforce(req, tag, std::move(*p), std::move(next));
    });
  };
  return m;
}

void AuthService::enforce(const RequestPtr& req, const std::string& tag, Principal p,
                          http::Next next) {
  using K = Principal::Kind;
  auto deny = [&](int status, std::string_view code, std::string_view message) {
    next(Response::error_for(*req, status, code, message));
  };
  const bool anon = !p.authenticated();
  if (tag == "login") {
    if (p.kind != K::kUser && p.kind != K::kMaster) {
      return anon ? deny(401, "unauthenticated", "Authentication required")
                  : deny(403, "forbidden", "A dashboard login is required");
    }
  } else if (tag == "admin") {
    if (anon) return deny(401, "unauthenticated", "Authentication required");
    if (!p.is_admin()) return deny(403, "forbidden", "Admin access required");
  } else if (tag == "master") {
    if (p.kind != K::kMaster) {
      return anon ? deny(401, "unauthenticated", "Master API key required")
                  : deny(403, "forbidden", "Master API key required");
    }
  } else if (tag == "token") {
    if (p.kind != K::kSessionToken && p.kind != K::kMaster) {
      return anon ? deny(401, "unauthenticated", "No token provided")
                  : deny(403, "forbidden", "A session token or the master key is required");
    }
  } else if (tag == "token-or-login" || tag == "session-access") {
    if (anon) return deny(401, "unauthenticated", "Authentication required");
  }
  // tag == "optional": anything goes; the handler filters.

  if (p.via == Via::kCookie && is_write_method(req->method)) {
    auto presented = req->header(kCsrfHeader);
    std::string expected = csrf_token_for(p);
    if (!presented || expected.empty() ||
        !crypto::constant_time_equal(core::as_view(*presented), core::as_view(expected))) {
      return deny(403, "csrf_failed", "CSRF token missing or invalid (send X-CSRF-Token)");
    }
  }

  req->set_attribute(std::make_shared<Principal>(p));
  if (tag == "token" || tag == "token-or-login" || tag == "session-access") {
    check_sessions(req, tag, std::move(p), std::move(next));
    return;
  }
  next(std::nullopt);
}

void AuthService::check_sessions(const RequestPtr& req, const std::string& tag, Principal p,
                                 http::Next next) {
  auto ids = named_sessions(*req);
  if (!ids.ok()) {
    next(Response::error_for(*req, 400, "invalid_argument", ids.status().message()));
    return;
  }
  if (ids->empty()) {
    if (tag == "session-access") {
      next(Response::error_for(*req, 400, "invalid_argument", "sessionId is required"));
    } else {
      next(std::nullopt);
    }
    return;
  }
  std::string id = ids->front();
  if (p.is_admin()) {
    next(std::nullopt);
    return;
  }
  if (p.kind == Principal::Kind::kSessionToken) {
    if (can_access_session(p, id, std::nullopt)) {
      next(std::nullopt);
    } else {
      next(Response::error_for(*req, 403, "forbidden", "Invalid token for session " + id));
    }
    return;
  }
  services_.run_blocking(
      [this, id]() { return services_.storage().wa_sessions().find(id); },
      [req, p = std::move(p), id,
       next = std::move(next)](core::Result<std::optional<storage::WaSession>> found) mutable {
        if (!found.ok()) {
          next(Response::error_for(*req, 503, "unavailable", "session lookup failed"));
          return;
        }
        if (!*found || can_access_session(p, id, (*found)->owner_id)) {
          next(std::nullopt);  // absent sessions: the handler answers 404 (or creates it)
          return;
        }
        next(Response::error_for(*req, 403, "forbidden", "You can only access your own sessions"));
      });
}

core::Result<std::vector<std::string>> named_sessions(const Request& req) {
  std::vector<std::string> ids;
  auto add = [&](std::string_view id) -> core::Status {
    if (id.empty()) return core::Status();
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.emplace_back(id);
    if (ids.size() > 1) {
      return core::Status::invalid_argument("the request names more than one session (" + ids[0] +
                                            ", " + ids[1] + ")");
    }
    return core::Status();
  };
  if (auto it = req.params.find("sessionId"); it != req.params.end()) {
    CORE_RETURN_IF_ERROR(add(it->second));
  }
  if (req.route_pattern.find("/sessions/:id") != std::string::npos) {
    if (auto it = req.params.find("id"); it != req.params.end())
      CORE_RETURN_IF_ERROR(add(it->second));
  }
  for (const auto& [k, v] : req.query) {
    if (k == "sessionId") CORE_RETURN_IF_ERROR(add(v));
  }
  // Parse exactly as handlers do (Request::parse_json: nlohmann over the whole body), with no
  // pre-filter of our own: a filter such as "starts with '{'" missed bodies that open with a
  // UTF-8 byte order mark, which the JSON parser skips, so a token could name another session in
  // the body unseen (security suite: HolesTest.Hole05_ATokenActsOnlyOnItsOwnSession).
  if (!trim(req.body).empty()) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      auto it = j.find("sessionId");
      if (it != j.end() && it->is_string()) CORE_RETURN_IF_ERROR(add(it->get<std::string>()));
    }
  }
  if (req.form) {
    if (auto f = req.form->field("sessionId")) CORE_RETURN_IF_ERROR(add(*f));
  }
  return ids;
}

bool valid_email(std::string_view e) {
  if (e.size() < 3 || e.size() > 191) return false;
  size_t at = e.find('@');
  if (at == std::string_view::npos || at == 0 || e.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view domain = e.substr(at + 1);
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return false;
  }
  for (unsigned char c : e) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' ||
        c == ';' || c == '(' || c == ')' || c == '[' || c == ']') {
      return false;
    }
  }
  // "localhost"-style single-label domains are allowed (admin@localhost).
  return true;
}

// ---- login / logout ----

const std::string& AuthService::dummy_hash() {
  std::call_once(dummy_once_, [this] {
    auto h = storage::hash_password("superlight-dummy-password", options_.password_cost);
    dummy_hash_ = h.ok() ? *h : std::string();
  });
  return dummy_hash_;
}

LoginOutcome AuthService::login_blocking(const LoginRequest& rq) {
  LoginOutcome out;
  auto& users = services_.storage().users();
  const std::string email = http::to_lower(trim(rq.email.value_or("")));
  std::optional<storage::User> user;

  if (!rq.password) return out;  // {} or a non-string password never logs in (hole 17.1.1)
  const std::string& password = *rq.password;

  if (email.empty()) {
    // Legacy single-password login: only when ADMIN_DASHBOARD_PASSWORD is set and non-empty.
    const std::string& legacy = options_.admin_dashboard_password;
    if (legacy.empty() || password.empty()) return out;
    auto a = crypto::sha256(core::as_view(password));
    auto b = crypto::sha256(core::as_view(legacy));
    if (!crypto::constant_time_equal(a, b)) return out;
    // It maps to a real admin user (so /api/v1/me and session ownership work).
    auto found = users.find_by_email(options_.legacy_admin_email);
    if (!found.ok()) {
      out.result = LoginOutcome::Result::kError;
      out.error = found.status();
      return out;
    }
    if (!*found) {
      storage::User u;
      u.email = options_.legacy_admin_email;
      u.role = "admin";
      u.created_by = "system";
      // Unusable password: this account is reachable only through the legacy password.
      auto h = storage::hash_password(core::hex_encode(services_.random().bytes(32)),
                                      options_.password_cost);
      if (!h.ok()) {
        out.result = LoginOutcome::Result::kError;
        out.error = h.status();
        return out;
      }
      u.password_hash = *h;
      auto created = users.create(u);
      if (!created.ok()) {
        out.result = LoginOutcome::Result::kError;
        out.error = created.status();
        return out;
      }
      *found = *created;
    }
    // An administrator who disabled or demoted this account meant it.
    if (!(*found)->active || (*found)->role != "admin") return out;
    user = **found;
    out.legacy = true;
  } else {
    auto found = users.find_by_email(email);
    if (!found.ok()) {
      out.result = LoginOutcome::Result::kError;
      out.error = found.status();
      return out;
    }
    if (!*found) {
      // Same work as for a real account, so timing does not reveal which e-mails exist.
      if (!dummy_hash().empty()) (void)storage::verify_password(password, dummy_hash());
      return out;
    }
    auto ok = storage::verify_password(password, (*found)->password_hash);
    if (!ok.ok() || !*ok || !(*found)->active) return out;
    user = **found;
    if (storage::password_needs_rehash(user->password_hash, options_.password_cost)) {
      // Imported bcrypt (or weaker argon2) hashes are upgraded on the first good login.
      if (auto h = storage::hash_password(password, options_.password_cost); h.ok()) {
        if (users.set_password_hash(user->id, *h).ok()) user->password_hash = *h;
      }
    }
  }

  (void)users.record_login(user->id);
  if (rq.previous_cookie && plausible_secret(*rq.previous_cookie)) {
    // Session fixation: whatever id the browser had is dropped; the login gets a fresh one.
    (void)services_.storage().auth_sessions().revoke(*rq.previous_cookie);
  }
  auto cookie = services_.storage().auth_sessions().create(
      user->id, static_cast<long long>(options_.session_ttl.count()) * 1000,
      truncate_utf8(rq.ip, 45),
      rq.user_agent ? std::optional<std::string>(truncate_utf8(*rq.user_agent, 255))
                    : std::nullopt);
  if (!cookie.ok()) {
    out.result = LoginOutcome::Result::kError;
    out.error = cookie.status();
    return out;
  }
  out.result = LoginOutcome::Result::kOk;
  out.user = *user;
  out.user.last_login_at = services_.clock().unix_millis();
  out.cookie = *cookie;
  out.csrf_token = csrf_token_for(sha256_hex(*cookie));
  return out;
}

void AuthService::login(LoginRequest rq, std::function<void(LoginOutcome)> done) {
  const std::string typed = rq.email.value_or("");
  const std::string throttle_email = http::to_lower(trim(typed));
  auto make_record = [typed, ip = rq.ip, ua = rq.user_agent](bool success) {
    ActivityRecord r;
    r.user_email = typed.empty() ? "unknown" : typed;  // as typed: stored as data, never markup
    r.action = "login";
    r.resource = "auth";
    r.details = {{"success", success}};
    r.ip = ip;
    r.user_agent = ua;
    r.success = success;
    return r;
  };
  if (auto wait = throttle_.check(throttle_email, rq.ip); wait.count() > 0) {
    ActivityRecord r = make_record(false);
    r.details["reason"] = "locked";
    activity_.record(std::move(r));
    LoginOutcome out;
    out.result = LoginOutcome::Result::kLocked;
    out.retry_after = wait;
    done(std::move(out));
    return;
  }
  std::string ip = rq.ip;
  services_.run_blocking([this, rq = std::move(rq)]() { return login_blocking(rq); },
                         [this, throttle_email, ip = std::move(ip), make_record,
                          done = std::move(done)](LoginOutcome out) mutable {
                           if (out.result == LoginOutcome::Result::kOk) {
                             throttle_.record_success(throttle_email, ip);
                             ActivityRecord r = make_record(true);
                             r.user_id = out.user.id;
                             if (out.legacy) r.user_email = out.user.email;
                             activity_.record(std::move(r));
                           } else if (out.result == LoginOutcome::Result::kInvalid) {
                             throttle_.record_failure(throttle_email, ip);
                             activity_.record(make_record(false));
                           } else if (out.result == LoginOutcome::Result::kError) {
                             log()->error("login failed with an internal error: {}",
                                          out.error.message());
                           }
                           done(std::move(out));
                         });
}

void AuthService::logout(const Request& req, std::function<void(core::Status)> done) {
  auto cookie = req.cookie(options_.cookie_name);
  if (!cookie || !plausible_secret(*cookie)) {
    done(core::Status());
    return;
  }
  services_.run_blocking(
      [this, c = *cookie]() { return services_.storage().auth_sessions().revoke(c); },
      std::move(done));
}

}  // namespace gw::auth
