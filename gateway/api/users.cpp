// GET/POST /api/v1/users, PUT/DELETE /api/v1/users/:email.
//
// Rules beyond the seed: e-mail format and password length (>= 8) are validated; the role is
// "admin" or "user"; nobody can delete, demote or disable themselves, and the last active admin
// cannot be deleted, demoted or disabled. A password change, deactivation, demotion or deletion
// ends every login session of that user (and their live-feed connections). Activity rows record
// what changed, never the password (seed hole 17.1.8).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <mutex>

#include "gateway/api/account_routes.h"
#include "gateway/auth/principal.h"
#include "gateway/http/headers.h"
#include "gateway/services.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

nlohmann::json opt_time(const std::optional<long long>& t) {
  return t ? nlohmann::json(auth::iso_time(*t)) : nlohmann::json(nullptr);
}

// Serialises user mutations in this process so the last-admin checks cannot race.
std::mutex& users_mutex() {
  static std::mutex m;
  return m;
}

struct Failure {
  int status;
  std::string code;
  std::string message;
};

// A handler outcome computed on the pool: a response body or a failure.
struct Outcome {
  std::optional<Failure> failure;
  nlohmann::json body;
  int status = 200;
  std::optional<std::string> revoked_user;  // login sessions ended
  std::optional<storage::User> user;
};

Outcome fail(int status, std::string code, std::string message) {
  Outcome o;
  o.failure = Failure{status, std::move(code), std::move(message)};
  return o;
}
Outcome fail_status(const core::Status& st) {
  return fail(http::http_status_for(st.code()), std::string(http::error_code_for(st.code())),
              st.message());
}

Response render(const http::Request& req, const Outcome& o) {
  if (o.failure)
    return Response::error_for(req, o.failure->status, o.failure->code, o.failure->message);
  return Response::json(o.status, o.body);
}

std::vector<std::string> sessions_of(storage::Storage& s, const std::string& user_id) {
  std::vector<std::string> ids;
  if (auto r = s.wa_sessions().list_by_owner(user_id); r.ok()) {
    for (const auto& w : *r) ids.push_back(w.id);
  }
  return ids;
}

core::Result<long long> active_admins(storage::Storage& s) {
  CORE_ASSIGN_OR_RETURN(auto users, s.users().list());
  return static_cast<long long>(std::count_if(
      users.begin(), users.end(), [](const auto& u) { return u.role == "admin" && u.active; }));
}

std::string normalize_email(std::string_view e) {
  while (!e.empty() && std::isspace(static_cast<unsigned char>(e.front()))) e.remove_prefix(1);
  while (!e.empty() && std::isspace(static_cast<unsigned char>(e.back()))) e.remove_suffix(1);
  return http::to_lower(e);
}

std::optional<std::string> check_password(const nlohmann::json& v) {
  if (!v.is_string()) return "password must be a string";
  size_t n = v.get_ref<const std::string&>().size();
  if (n < kMinPasswordLength) return "Password must be at least 8 characters long";
  if (n > kMaxPasswordLength) return "Password is too long";
  return std::nullopt;
}

}  // namespace

nlohmann::json user_json(const storage::User& u, const std::vector<std::string>& session_ids) {
  return {{"id", u.id},
          {"email", u.email},
          {"role", u.role},
          {"createdBy", u.created_by ? nlohmann::json(*u.created_by) : nlohmann::json(nullptr)},
          {"createdAt", auth::iso_time(u.created_at)},
          {"lastLogin", opt_time(u.last_login_at)},
          {"isActive", u.active},
          {"sessions", session_ids}};
}

void install_users_routes(http::Router& router, AccountDeps& deps) {
  Services& services = deps.services;
  auth::AuthService& authn = deps.auth;
  auth::ActivityLog& activity = deps.activity;

  // List: admins (and the master key) see everyone, newest first; a user sees [self].
  router.get(
      "/api/v1/users",
      [&services](const RequestPtr& req, Responder respond) {
        auth::Principal p = auth::principal_of(*req);
        services.run_blocking(
            [&services, p]() -> Outcome {
              auto& st = services.storage();
              Outcome o;
              o.body = nlohmann::json::array();
              if (p.is_admin()) {
                auto users = st.users().list();
                if (!users.ok()) return fail_status(users.status());
                auto sessions = st.wa_sessions().list();
                if (!sessions.ok()) return fail_status(sessions.status());
                std::map<std::string, std::vector<std::string>> owned;
                for (const auto& s : *sessions) {
                  if (s.owner_id) owned[*s.owner_id].push_back(s.id);
                }
                std::stable_sort(users->begin(), users->end(), [](const auto& a, const auto& b) {
                  return a.created_at > b.created_at;
                });
                for (const auto& u : *users) o.body.push_back(user_json(u, owned[u.id]));
                return o;
              }
              auto me = st.users().find_by_id(p.user_id);
              if (!me.ok()) return fail_status(me.status());
              if (*me) o.body.push_back(user_json(**me, sessions_of(st, p.user_id)));
              return o;
            },
            [req, respond = std::move(respond)](Outcome o) mutable { respond(render(*req, o)); });
      },
      http::RouteOptions().auth_tag("login").seed());

  router.post(
      "/api/v1/users",
      [&services, &authn, &activity](const RequestPtr& req, Responder respond) {
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok() || !body.is_object()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      st.ok() ? "body must be a JSON object" : st.message()));
          return;
        }
        auto bad = [&](std::string m) {
          respond(Response::error_for(*req, 400, "invalid_argument", m));
        };
        if (!body.contains("email") || !body["email"].is_string()) return bad("email is required");
        std::string email = normalize_email(body["email"].get<std::string>());
        if (!auth::valid_email(email)) return bad("Invalid email address");
        if (!body.contains("password")) return bad("password is required");
        if (auto m = check_password(body["password"])) return bad(*m);
        std::string role = "user";
        if (body.contains("role") && !body["role"].is_null()) {
          if (!body["role"].is_string()) return bad("role must be \"admin\" or \"user\"");
          role = body["role"].get<std::string>();
        }
        if (role != "admin" && role != "user") return bad("role must be \"admin\" or \"user\"");
        std::string password = body["password"].get<std::string>();
        auth::Principal p = auth::principal_of(*req);
        services.run_blocking(
            [&services, &authn, p, email, role, password]() -> Outcome {
              auto hash = authn.hash_password(password);
              if (!hash.ok()) return fail_status(hash.status());
              std::lock_guard lock(users_mutex());
              storage::User u;
              u.email = email;
              u.role = role;
              u.password_hash = *hash;
              u.created_by = p.actor_email();
              auto created = services.storage().users().create(u);
              if (!created.ok()) {
                if (created.status().code() == core::StatusCode::kAlreadyExists) {
                  return fail(400, "already_exists", "User already exists");
                }
                return fail_status(created.status());
              }
              Outcome o;
              o.status = 201;
              o.body = user_json(*created, {});
              o.user = *created;
              return o;
            },
            [req, &activity, respond = std::move(respond)](Outcome o) mutable {
              if (o.user) {
                activity.record_request(*req, "create_user", "user", o.user->email,
                                        {{"newUserEmail", o.user->email}, {"role", o.user->role}});
              }
              respond(render(*req, o));
            });
      },
      http::RouteOptions().auth_tag("admin").seed().limit(16 * 1024));

  router.put(
      "/api/v1/users/:email",
      [&services, &authn, &activity](const RequestPtr& req, Responder respond) {
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok() || !body.is_object()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      st.ok() ? "body must be a JSON object" : st.message()));
          return;
        }
        auto bad = [&](std::string m) {
          respond(Response::error_for(*req, 400, "invalid_argument", m));
        };
        std::optional<std::string> password, role;
        std::optional<bool> active;
        if (body.contains("password") && !body["password"].is_null()) {
          if (auto m = check_password(body["password"])) return bad(*m);
          password = body["password"].get<std::string>();
        }
        if (body.contains("role") && !body["role"].is_null()) {
          if (!body["role"].is_string() || (body["role"] != "admin" && body["role"] != "user")) {
            return bad("role must be \"admin\" or \"user\"");
          }
          role = body["role"].get<std::string>();
        }
        if (body.contains("isActive") && !body["isActive"].is_null()) {
          if (!body["isActive"].is_boolean()) return bad("isActive must be true or false");
          active = body["isActive"].get<bool>();
        }
        if (!password && !role && !active) {
          return bad("Nothing to update (password, role or isActive)");
        }
        std::string email = normalize_email(req->param("email"));
        auth::Principal p = auth::principal_of(*req);
        services.run_blocking(
            [&services, &authn, p, email, password, role, active]() -> Outcome {
              std::optional<std::string> hash;
              if (password) {
                auto h = authn.hash_password(*password);
                if (!h.ok()) return fail_status(h.status());
                hash = *h;
              }
              auto& st = services.storage();
              std::lock_guard lock(users_mutex());
              auto found = st.users().find_by_email(email);
              if (!found.ok()) return fail_status(found.status());
              if (!*found) return fail(404, "not_found", "User not found");
              storage::User u = **found;
              const bool self = p.is_user() && p.user_id == u.id;
              const bool demote = role && *role != "admin" && u.role == "admin";
              const bool disable = active && !*active && u.active;
              if (self && demote)
                return fail(400, "invalid_argument", "You cannot demote yourself");
              if (self && disable) {
                return fail(400, "invalid_argument", "You cannot disable your own account");
              }
              if ((demote || disable) && u.role == "admin" && u.active) {
                auto admins = active_admins(st);
                if (!admins.ok()) return fail_status(admins.status());
                if (*admins <= 1) {
                  return fail(400, "failed_precondition",
                              "Cannot demote or disable the last active admin");
                }
              }
              if (role) u.role = *role;
              if (active) u.active = *active;
              if (auto s = st.users().update(u); !s.ok()) return fail_status(s);
              if (hash) {
                if (auto s = st.users().set_password_hash(u.id, *hash); !s.ok()) {
                  return fail_status(s);
                }
              }
              Outcome o;
              if (hash || demote || disable) {
                // Logout everywhere: existing cookies stop working at once.
                if (auto s = st.auth_sessions().revoke_all_for_user(u.id); !s.ok()) {
                  return fail_status(s);
                }
                o.revoked_user = u.id;
              }
              o.body = user_json(u, sessions_of(st, u.id));
              o.user = u;
              return o;
            },
            [req, &authn, &activity, password = password.has_value(), role, active,
             respond = std::move(respond)](Outcome o) mutable {
              if (o.user) {
                // Field names and non-secret new values only. (A key named "password…" would
                // be redacted anyway; the list of changed fields says a password was set.)
                nlohmann::json changes = nlohmann::json::object();
                nlohmann::json fields = nlohmann::json::array();
                if (password) fields.push_back("password");
                if (role) {
                  changes["role"] = *role;
                  fields.push_back("role");
                }
                if (active) {
                  changes["isActive"] = *active;
                  fields.push_back("isActive");
                }
                activity.record_request(*req, "update_user", "user", o.user->email,
                                        {{"changes", changes}, {"changedFields", fields}});
              }
              if (o.revoked_user) authn.notify_user_revoked(*o.revoked_user);
              respond(render(*req, o));
            });
      },
      http::RouteOptions().auth_tag("admin").seed().limit(16 * 1024));

  router.del(
      "/api/v1/users/:email",
      [&services, &authn, &activity](const RequestPtr& req, Responder respond) {
        std::string email = normalize_email(req->param("email"));
        auth::Principal p = auth::principal_of(*req);
        services.run_blocking(
            [&services, p, email]() -> Outcome {
              auto& st = services.storage();
              std::lock_guard lock(users_mutex());
              auto found = st.users().find_by_email(email);
              if (!found.ok()) return fail_status(found.status());
              if (!*found) return fail(404, "not_found", "User not found");
              const storage::User& u = **found;
              if (p.is_user() && p.user_id == u.id) {
                return fail(400, "invalid_argument", "You cannot delete your own account");
              }
              if (u.role == "admin" && u.active) {
                auto admins = active_admins(st);
                if (!admins.ok()) return fail_status(admins.status());
                if (*admins <= 1) {
                  return fail(400, "failed_precondition", "Cannot delete the last active admin");
                }
              }
              if (auto s = st.auth_sessions().revoke_all_for_user(u.id); !s.ok()) {
                return fail_status(s);
              }
              if (auto s = st.users().remove(u.id); !s.ok()) return fail_status(s);
              Outcome o;
              o.body = {{"success", true}};
              o.revoked_user = u.id;
              o.user = u;
              return o;
            },
            [req, &authn, &activity, respond = std::move(respond)](Outcome o) mutable {
              if (o.user) {
                activity.record_request(*req, "delete_user", "user", o.user->email,
                                        {{"deletedUser", o.user->email}});
              }
              if (o.revoked_user) authn.notify_user_revoked(*o.revoked_user);
              respond(render(*req, o));
            });
      },
      http::RouteOptions().auth_tag("admin").seed());
}

}  // namespace gw::api
