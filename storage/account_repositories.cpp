#include "storage/account_repositories.h"

#include <algorithm>
#include <cctype>

#include "storage/internal/sql_util.h"

namespace storage {

using internal::Nullable;
using internal::row_int;
using internal::row_opt_int;
using internal::row_opt_text;
using internal::row_text;

namespace {

constexpr const char* kUserCols =
    "id, email, password_hash, role, is_active, last_login_at, created_by, created_at, "
    "updated_at";

User user_from_row(const soci::row& r) {
  User u;
  u.id = row_text(r, 0);
  u.email = row_text(r, 1);
  u.password_hash = row_text(r, 2);
  u.role = row_text(r, 3);
  u.active = row_int(r, 4) != 0;
  u.last_login_at = row_opt_int(r, 5);
  u.created_by = row_opt_text(r, 6);
  u.created_at = row_int(r, 7);
  u.updated_at = row_int(r, 8);
  return u;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

core::Status validate_user(const User& u) {
  if (u.email.empty() || u.email.size() > 191) {
    return core::Status::invalid_argument("user email must be 1-191 characters");
  }
  if (u.role != "admin" && u.role != "user") {
    return core::Status::invalid_argument("user role must be admin or user");
  }
  if (u.password_hash.empty()) return core::Status::invalid_argument("password hash is empty");
  return core::Status();
}

core::Status insert_user(soci::session& sql, const User& u) {
  int active = u.active ? 1 : 0;
  Nullable<long long> last_login(u.last_login_at);
  Nullable<std::string> created_by(u.created_by);
  sql << "INSERT INTO users (id, email, password_hash, role, is_active, last_login_at, "
         "created_by, created_at, updated_at) VALUES (:id, :email, :hash, :role, :active, "
         ":last, :by, :created, :updated)",
      soci::use(u.id), soci::use(u.email), soci::use(u.password_hash), soci::use(u.role),
      soci::use(active), soci::use(last_login.value, last_login.ind),
      soci::use(created_by.value, created_by.ind), soci::use(u.created_at), soci::use(u.updated_at);
  return core::Status();
}

std::optional<User> select_user(soci::session& sql, const std::string& where,
                                const std::string& value) {
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string("SELECT ") + kUserCols + " FROM users WHERE " + where + " = :v",
       soci::use(value));
  for (const auto& r : rows) return user_from_row(r);
  return std::nullopt;
}

// 32 random bytes as base64url: cookie values and tokens.
std::string random_secret(core::Random& random, std::string_view prefix) {
  return std::string(prefix) + core::base64url_encode(random.bytes(32));
}

constexpr const char* kTokenCols =
    "id, kind, session_id, user_id, label, prefix, created_at, last_used_at, expires_at, "
    "revoked_at";

ApiToken token_from_row(const soci::row& r) {
  ApiToken t;
  t.id = row_text(r, 0);
  t.kind = row_text(r, 1);
  t.session_id = row_opt_text(r, 2);
  t.user_id = row_opt_text(r, 3);
  t.label = row_opt_text(r, 4);
  t.prefix = row_opt_text(r, 5);
  t.created_at = row_int(r, 6);
  t.last_used_at = row_opt_int(r, 7);
  t.expires_at = row_opt_int(r, 8);
  t.revoked_at = row_opt_int(r, 9);
  return t;
}

}  // namespace

// ---- UserRepository ----

core::Result<User> UserRepository::create(User user) {
  user.email = lower(user.email);
  CORE_RETURN_IF_ERROR(validate_user(user));
  if (user.id.empty()) user.id = internal::new_uuid(random_);
  long long now = clock_.unix_millis();
  if (user.created_at == 0) user.created_at = now;
  user.updated_at = now;
  core::Status st =
      db_.run("creating user", [&](soci::session& sql) { return insert_user(sql, user); });
  if (st.code() == core::StatusCode::kAlreadyExists) {
    return core::Status::already_exists("a user with email " + user.email + " already exists");
  }
  if (!st.ok()) return st;
  return user;
}

core::Result<std::optional<User>> UserRepository::find_by_id(const std::string& id) {
  return db_.query<std::optional<User>>(
      "loading user", [&](soci::session& sql) -> core::Result<std::optional<User>> {
        return select_user(sql, "id", id);
      });
}

core::Result<std::optional<User>> UserRepository::find_by_email(std::string_view email) {
  std::string e = lower(email);
  return db_.query<std::optional<User>>(
      "loading user", [&](soci::session& sql) -> core::Result<std::optional<User>> {
        return select_user(sql, "email", e);
      });
}

core::Result<std::vector<User>> UserRepository::list() {
  return db_.query<std::vector<User>>(
      "listing users", [&](soci::session& sql) -> core::Result<std::vector<User>> {
        std::vector<User> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kUserCols + " FROM users ORDER BY email");
        for (const auto& r : rows) out.push_back(user_from_row(r));
        return out;
      });
}

core::Result<long long> UserRepository::count() {
  return db_.query<long long>("counting users", [&](soci::session& sql) -> core::Result<long long> {
    long long n = 0;
    sql << "SELECT COUNT(*) FROM users", soci::into(n);
    return n;
  });
}

core::Status UserRepository::update(const User& in) {
  User user = in;
  user.email = lower(user.email);
  CORE_RETURN_IF_ERROR(validate_user(user));
  long long now = clock_.unix_millis();
  int active = user.active ? 1 : 0;
  return db_.run("updating user", [&](soci::session& sql) -> core::Status {
    soci::statement st = (sql.prepare << "UPDATE users SET email = :e, role = :r, is_active = :a, "
                                         "password_hash = :h, updated_at = :u WHERE id = :id",
                          soci::use(user.email), soci::use(user.role), soci::use(active),
                          soci::use(user.password_hash), soci::use(now), soci::use(user.id));
    st.execute(true);
    if (st.get_affected_rows() == 0) return core::Status::not_found("no user " + user.id);
    return core::Status();
  });
}

core::Status UserRepository::set_password_hash(const std::string& id, const std::string& hash) {
  long long now = clock_.unix_millis();
  return db_.run("setting password", [&](soci::session& sql) -> core::Status {
    soci::statement st =
        (sql.prepare << "UPDATE users SET password_hash = :h, updated_at = :u WHERE id = :id",
         soci::use(hash), soci::use(now), soci::use(id));
    st.execute(true);
    if (st.get_affected_rows() == 0) return core::Status::not_found("no user " + id);
    return core::Status();
  });
}

core::Status UserRepository::record_login(const std::string& id) {
  long long now = clock_.unix_millis();
  return db_.run("recording login", [&](soci::session& sql) -> core::Status {
    sql << "UPDATE users SET last_login_at = :t WHERE id = :id", soci::use(now), soci::use(id);
    return core::Status();
  });
}

core::Status UserRepository::remove(const std::string& id) {
  return db_.run("deleting user", [&](soci::session& sql) -> core::Status {
    soci::statement st = (sql.prepare << "DELETE FROM users WHERE id = :id", soci::use(id));
    st.execute(true);
    if (st.get_affected_rows() == 0) return core::Status::not_found("no user " + id);
    return core::Status();
  });
}

core::Result<std::pair<User, bool>> UserRepository::upsert_by_email(User user) {
  user.email = lower(user.email);
  CORE_RETURN_IF_ERROR(validate_user(user));
  long long now = clock_.unix_millis();
  std::pair<User, bool> out;
  core::Status st = db_.transaction("importing user", [&](soci::session& sql) -> core::Status {
    std::optional<User> existing = select_user(sql, "email", user.email);
    if (existing) {
      user.id = existing->id;
      user.created_at = existing->created_at;
      user.updated_at = now;
      int active = user.active ? 1 : 0;
      Nullable<long long> last_login(user.last_login_at);
      sql << "UPDATE users SET password_hash = :h, role = :r, is_active = :a, last_login_at = "
             ":l, updated_at = :u WHERE id = :id",
          soci::use(user.password_hash), soci::use(user.role), soci::use(active),
          soci::use(last_login.value, last_login.ind), soci::use(now), soci::use(user.id);
      out = {user, false};
      return core::Status();
    }
    if (user.id.empty()) user.id = internal::new_uuid(random_);
    if (user.created_at == 0) user.created_at = now;
    user.updated_at = now;
    CORE_RETURN_IF_ERROR(insert_user(sql, user));
    out = {user, true};
    return core::Status();
  });
  if (!st.ok()) return st;
  return out;
}

// ---- AuthSessionRepository ----

core::Result<std::string> AuthSessionRepository::create(const std::string& user_id,
                                                        long long ttl_ms,
                                                        const std::optional<std::string>& ip,
                                                        const std::optional<std::string>& ua) {
  std::string cookie = random_secret(random_, "");
  std::string hash = internal::token_hash(cookie);
  long long now = clock_.unix_millis();
  long long expires = now + ttl_ms;
  Nullable<std::string> nip(ip), nua(ua);
  CORE_RETURN_IF_ERROR(db_.run("creating login session", [&](soci::session& sql) {
    sql << "INSERT INTO auth_sessions (id_hash, user_id, created_at, last_seen_at, expires_at, "
           "ip, user_agent) VALUES (:h, :u, :c, :l, :e, :ip, :ua)",
        soci::use(hash), soci::use(user_id), soci::use(now), soci::use(now), soci::use(expires),
        soci::use(nip.value, nip.ind), soci::use(nua.value, nua.ind);
    return core::Status();
  }));
  return cookie;
}

core::Result<std::optional<AuthSession>> AuthSessionRepository::find_valid(
    std::string_view cookie) {
  std::string hash = internal::token_hash(cookie);
  long long now = clock_.unix_millis();
  return db_.query<std::optional<AuthSession>>(
      "checking login session",
      [&](soci::session& sql) -> core::Result<std::optional<AuthSession>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT s.id_hash, s.user_id, s.created_at, s.last_seen_at, "
                            "s.expires_at, s.ip, s.user_agent FROM auth_sessions s JOIN users u "
                            "ON u.id = s.user_id WHERE s.id_hash = :h AND s.expires_at > :now "
                            "AND u.is_active = 1",
             soci::use(hash), soci::use(now));
        std::optional<AuthSession> out;
        for (const auto& r : rows) {
          AuthSession s;
          s.id_hash = row_text(r, 0);
          s.user_id = row_text(r, 1);
          s.created_at = row_int(r, 2);
          s.last_seen_at = now;
          s.expires_at = row_int(r, 4);
          s.ip = row_opt_text(r, 5);
          s.user_agent = row_opt_text(r, 6);
          out = s;
        }
        if (out) {
          sql << "UPDATE auth_sessions SET last_seen_at = :t WHERE id_hash = :h", soci::use(now),
              soci::use(hash);
        }
        return out;
      });
}

core::Status AuthSessionRepository::revoke(std::string_view cookie) {
  std::string hash = internal::token_hash(cookie);
  return db_.run("ending login session", [&](soci::session& sql) {
    sql << "DELETE FROM auth_sessions WHERE id_hash = :h", soci::use(hash);
    return core::Status();
  });
}

core::Status AuthSessionRepository::revoke_all_for_user(const std::string& user_id) {
  return db_.run("ending login sessions", [&](soci::session& sql) {
    sql << "DELETE FROM auth_sessions WHERE user_id = :u", soci::use(user_id);
    return core::Status();
  });
}

core::Result<long long> AuthSessionRepository::purge_expired() {
  long long now = clock_.unix_millis();
  return db_.query<long long>(
      "purging login sessions", [&](soci::session& sql) -> core::Result<long long> {
        soci::statement st =
            (sql.prepare << "DELETE FROM auth_sessions WHERE expires_at <= :t", soci::use(now));
        st.execute(true);
        return st.get_affected_rows();
      });
}

// ---- TokenRepository ----

core::Result<TokenRepository::Issued> TokenRepository::issue(
    const std::string& kind, const std::optional<std::string>& session_id,
    const std::optional<std::string>& user_id, const std::optional<std::string>& label,
    std::optional<long long> expires_at, bool rotate) {
  Issued out;
  out.token = random_secret(random_, kind == "session" ? "slt_" : "slk_");
  ApiToken& t = out.record;
  t.id = internal::new_uuid(random_);
  t.kind = kind;
  t.session_id = session_id;
  t.user_id = user_id;
  t.label = label;
  t.prefix = out.token.substr(0, 10);
  t.created_at = clock_.unix_millis();
  t.expires_at = expires_at;
  std::string hash = internal::token_hash(out.token);
  CORE_RETURN_IF_ERROR(db_.transaction("issuing token", [&](soci::session& sql) {
    if (rotate && session_id) {
      sql << "UPDATE api_tokens SET revoked_at = :t WHERE session_id = :s AND kind = 'session' "
             "AND revoked_at IS NULL",
          soci::use(t.created_at), soci::use(*session_id);
    }
    Nullable<std::string> sid(t.session_id), uid(t.user_id), lab(t.label), pre(t.prefix);
    Nullable<long long> exp(t.expires_at);
    sql << "INSERT INTO api_tokens (id, token_hash, kind, session_id, user_id, label, prefix, "
           "created_at, expires_at) VALUES (:id, :h, :k, :s, :u, :l, :p, :c, :e)",
        soci::use(t.id), soci::use(hash), soci::use(t.kind), soci::use(sid.value, sid.ind),
        soci::use(uid.value, uid.ind), soci::use(lab.value, lab.ind), soci::use(pre.value, pre.ind),
        soci::use(t.created_at), soci::use(exp.value, exp.ind);
    return core::Status();
  }));
  return out;
}

core::Result<TokenRepository::Issued> TokenRepository::issue_session_token(
    const std::string& session_id, std::optional<long long> expires_at, bool rotate) {
  return issue("session", session_id, std::nullopt, std::nullopt, expires_at, rotate);
}

core::Result<TokenRepository::Issued> TokenRepository::issue_api_key(
    const std::string& user_id, const std::string& label, std::optional<long long> expires_at) {
  return issue("api_key", std::nullopt, user_id, label, expires_at, false);
}

core::Result<bool> TokenRepository::import_session_token(const std::string& session_id,
                                                         std::string_view token) {
  if (token.empty()) return core::Status::invalid_argument("empty token");
  std::string hash = internal::token_hash(token);
  std::string id = internal::new_uuid(random_);
  std::string prefix(token.substr(0, std::min<size_t>(token.size(), 4)));
  std::string kind = "session";
  std::string label = "imported";
  long long now = clock_.unix_millis();
  return db_.query<bool>("importing token", [&](soci::session& sql) -> core::Result<bool> {
    soci::statement st = (sql.prepare << db_.insert_ignore_sql(
                              "api_tokens", {"id", "token_hash", "kind", "session_id", "label",
                                             "prefix", "created_at"}),
                          soci::use(id), soci::use(hash), soci::use(kind), soci::use(session_id),
                          soci::use(label), soci::use(prefix), soci::use(now));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

core::Result<std::optional<ApiToken>> TokenRepository::authenticate(std::string_view token) {
  std::string hash = internal::token_hash(token);
  long long now = clock_.unix_millis();
  return db_.query<std::optional<ApiToken>>(
      "checking token", [&](soci::session& sql) -> core::Result<std::optional<ApiToken>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kTokenCols +
                                " FROM api_tokens WHERE token_hash = :h AND revoked_at IS NULL "
                                "AND (expires_at IS NULL OR expires_at > :now)",
             soci::use(hash), soci::use(now));
        std::optional<ApiToken> out;
        for (const auto& r : rows) out = token_from_row(r);
        if (out) {
          sql << "UPDATE api_tokens SET last_used_at = :t WHERE id = :id", soci::use(now),
              soci::use(out->id);
          out->last_used_at = now;
        }
        return out;
      });
}

core::Result<std::vector<ApiToken>> TokenRepository::list_for_session(
    const std::string& session_id) {
  return db_.query<std::vector<ApiToken>>(
      "listing tokens", [&](soci::session& sql) -> core::Result<std::vector<ApiToken>> {
        std::vector<ApiToken> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kTokenCols +
                                " FROM api_tokens WHERE session_id = :s ORDER BY created_at",
             soci::use(session_id));
        for (const auto& r : rows) out.push_back(token_from_row(r));
        return out;
      });
}

core::Result<std::vector<ApiToken>> TokenRepository::list_for_user(const std::string& user_id) {
  return db_.query<std::vector<ApiToken>>(
      "listing tokens", [&](soci::session& sql) -> core::Result<std::vector<ApiToken>> {
        std::vector<ApiToken> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kTokenCols +
                                " FROM api_tokens WHERE user_id = :u ORDER BY created_at",
             soci::use(user_id));
        for (const auto& r : rows) out.push_back(token_from_row(r));
        return out;
      });
}

core::Status TokenRepository::revoke(const std::string& id) {
  long long now = clock_.unix_millis();
  return db_.run("revoking token", [&](soci::session& sql) -> core::Status {
    soci::statement st = (sql.prepare << "UPDATE api_tokens SET revoked_at = :t WHERE id = :id "
                                         "AND revoked_at IS NULL",
                          soci::use(now), soci::use(id));
    st.execute(true);
    if (st.get_affected_rows() == 0) return core::Status::not_found("no active token " + id);
    return core::Status();
  });
}

}  // namespace storage
