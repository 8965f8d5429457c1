// Login, logout, cookies, lockout, session regeneration, legacy password (hole 17.1.1), CSRF
// (hole 17.1.11) and logout-everywhere.
#include "tests/unit/gateway_auth/fixture.h"

namespace gw::testing {
namespace {

using nlohmann::json;

class LoginTest : public AuthFixture {};

TEST_F(LoginTest, GoodPasswordReturnsSeedShapeAndHardenedCookie) {
  make_user("alice@example.com", "correct horse", "user");
  Call c;
  c.method = "POST";
  c.target = "/admin/login";
  c.body = json{{"email", "Alice@Example.com"}, {"password", "correct horse"}}.dump();
  Sent s = call(c);
  ASSERT_EQ(s.response.status, 200) << s.response.body;
  EXPECT_EQ(s.json["success"], true);
  EXPECT_EQ(s.json["role"], "user");
  EXPECT_EQ(s.json["email"], "alice@example.com");
  EXPECT_EQ(s.json["csrfToken"].get<std::string>().size(), 64u);
  std::string cookie(*s.response.headers.get("Set-Cookie"));
  EXPECT_EQ(cookie.rfind("sl.sid=", 0), 0u);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain HTTP
  EXPECT_EQ(s.response.headers.get("Cache-Control"), "no-store");

  c.secure = true;  // HTTPS (or X-Forwarded-Proto: https from a trusted proxy)
  Sent secure = call(c);
  ASSERT_EQ(secure.response.status, 200);
  EXPECT_NE(std::string(*secure.response.headers.get("Set-Cookie")).find("; Secure"),
            std::string::npos);

  // The cookie works, and the server stores only its hash.
  auto b = browser_from(s);
  ASSERT_TRUE(b);
  Sent me = get("/api/v1/me", b);
  ASSERT_EQ(me.response.status, 200) << me.response.body;
  EXPECT_EQ(me.json["email"], "alice@example.com");
  EXPECT_EQ(me.json["csrfToken"], b->csrf);
  EXPECT_FALSE(me.json.contains("password"));
  EXPECT_FALSE(me.json.contains("passwordHash"));
  auto found = services_->storage().auth_sessions().find_valid(b->cookie);
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_NE((*found)->id_hash, b->cookie);
}

TEST_F(LoginTest, WrongPasswordUnknownEmailAndDisabledUserAreInvalidCredentials) {
  make_user("bob@example.com", "bobpassword", "user");
  make_user("carol@example.com", "carolpassword", "user", /*active=*/false);
  for (auto body : {json{{"email", "bob@example.com"}, {"password", "wrong-password"}},
                    json{{"email", "nobody@example.com"}, {"password", "bobpassword"}},
                    json{{"email", "carol@example.com"}, {"password", "carolpassword"}},
                    json{{"email", "bob@example.com"}, {"password", 12345678}},
                    json{{"email", 42}, {"password", "bobpassword"}}}) {
    Sent s = send("POST", "/admin/login", body);
    EXPECT_EQ(s.response.status, 401) << body.dump();
    EXPECT_EQ(s.json["success"], false);
    EXPECT_EQ(s.json["message"], "Invalid credentials");
    EXPECT_FALSE(s.response.headers.has("Set-Cookie"));
  }
  Call bad_json;
  bad_json.method = "POST";
  bad_json.target = "/admin/login";
  bad_json.body = "{not json";
  EXPECT_EQ(call(bad_json).response.status, 401);
}

// Seed hole 17.1.1: with ADMIN_DASHBOARD_PASSWORD unset, `{}` logged in as admin.
TEST_F(LoginTest, Hole_17_1_1_EmptyBodyNeverLogsInWhenLegacyPasswordUnset) {
  for (auto body :
       {json::object(), json{{"password", ""}}, json{{"email", ""}},
        json{{"email", nullptr}, {"password", nullptr}}, json{{"email", ""}, {"password", ""}}}) {
    Sent s = send("POST", "/admin/login", body);
    EXPECT_EQ(s.response.status, 401) << body.dump();
    EXPECT_FALSE(s.response.headers.has("Set-Cookie")) << body.dump();
  }
  // No admin account was conjured up either.
  auto u = services_->storage().users().find_by_email("admin@localhost");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(*u);
}

TEST_F(LoginTest, Hole_17_1_1_EmptyBodyNeverLogsInWhenLegacyPasswordSet) {
  auto o = default_options();
  o.admin_dashboard_password = "legacy-secret";
  build(o);
  for (auto body : {json::object(), json{{"password", ""}}, json{{"password", nullptr}},
                    json{{"password", "wrong"}}}) {
    Sent s = send("POST", "/admin/login", body);
    EXPECT_EQ(s.response.status, 401) << body.dump();
  }
}

TEST_F(LoginTest, LegacyPasswordMapsToARealAdminSoMeWorks) {
  auto o = default_options();
  o.admin_dashboard_password = "legacy-secret";
  build(o);
  Sent s = send("POST", "/admin/login", json{{"password", "legacy-secret"}});
  ASSERT_EQ(s.response.status, 200) << s.response.body;
  EXPECT_EQ(s.json["role"], "admin");
  EXPECT_EQ(s.json["email"], "admin@localhost");
  auto b = browser_from(s);
  ASSERT_TRUE(b);
  Sent me = get("/api/v1/me", b);
  ASSERT_EQ(me.response.status, 200);
  EXPECT_EQ(me.json["email"], "admin@localhost");  // the seed returned null here
  EXPECT_EQ(me.json["role"], "admin");
  // Second login reuses the same account.
  ASSERT_EQ(send("POST", "/admin/login", json{{"password", "legacy-secret"}}).response.status, 200);
  auto users = services_->storage().users().list();
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->size(), 1u);
  // The account's own password is unusable: e-mail login with the legacy password fails.
  EXPECT_EQ(send("POST", "/admin/login",
                 json{{"email", "admin@localhost"}, {"password", "legacy-secret"}})
                .response.status,
            401);
  // Disabling the account disables the legacy login.
  auto u = *services_->storage().users().find_by_email("admin@localhost");
  u->active = false;
  ASSERT_TRUE(services_->storage().users().update(*u).ok());
  EXPECT_EQ(send("POST", "/admin/login", json{{"password", "legacy-secret"}}).response.status, 401);
}

TEST_F(LoginTest, LockoutAfterFiveFailuresThenExpires) {
  make_user("dave@example.com", "davepassword");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(send("POST", "/admin/login", json{{"email", "dave@example.com"}, {"password", "x"}})
                  .response.status,
              401);
  }
  // Locked: even the right password gets 429 now.
  Sent locked = send("POST", "/admin/login",
                     json{{"email", "dave@example.com"}, {"password", "davepassword"}});
  EXPECT_EQ(locked.response.status, 429);
  EXPECT_EQ(locked.json["success"], false);
  ASSERT_TRUE(locked.response.headers.has("Retry-After"));
  EXPECT_GT(std::stoi(std::string(*locked.response.headers.get("Retry-After"))), 800);
  // Another IP is not locked for that e-mail.
  Call other;
  other.method = "POST";
  other.target = "/admin/login";
  other.ip = "198.51.100.7";
  other.body = json{{"email", "dave@example.com"}, {"password", "davepassword"}}.dump();
  EXPECT_EQ(call(other).response.status, 200);

  clock_.advance(std::chrono::minutes(16));
  EXPECT_TRUE(login("dave@example.com", "davepassword"));
  // Success reset the counter: four more failures do not lock.
  for (int i = 0; i < 4; ++i) {
    send("POST", "/admin/login", json{{"email", "dave@example.com"}, {"password", "x"}});
  }
  EXPECT_TRUE(login("dave@example.com", "davepassword"));
  // The lockout was recorded in the activity log.
  auto rows = activities(1, "login");
  bool saw_locked = false;
  for (const auto& r : rows) {
    if (r.details_json && r.details_json->find("locked") != std::string::npos) saw_locked = true;
  }
  EXPECT_TRUE(saw_locked);
}

TEST_F(LoginTest, SessionIdIsRegeneratedAtLogin) {
  make_user("erin@example.com", "erinpassword");
  auto first = login("erin@example.com", "erinpassword");
  ASSERT_TRUE(first);
  auto second = login("erin@example.com", "erinpassword", first->cookie);
  ASSERT_TRUE(second);
  EXPECT_NE(first->cookie, second->cookie);
  EXPECT_NE(first->csrf, second->csrf);
  EXPECT_EQ(get("/api/v1/me", first).response.status, 401);  // the old id is dead
  EXPECT_EQ(get("/api/v1/me", second).response.status, 200);
  // A made-up id planted before login (fixation) never becomes a session.
  auto third = login("erin@example.com", "erinpassword", std::string("attacker-chosen-id"));
  ASSERT_TRUE(third);
  EXPECT_NE(third->cookie, "attacker-chosen-id");
  EXPECT_EQ(get("/api/v1/me", Browser{"attacker-chosen-id", ""}).response.status, 401);
}

TEST_F(LoginTest, LogoutEndsTheSessionAndClearsTheCookie) {
  make_user("frank@example.com", "frankpassword");
  auto b = login("frank@example.com", "frankpassword");
  ASSERT_TRUE(b);
  Sent out = send("POST", "/admin/logout", nullptr, b);
  ASSERT_EQ(out.response.status, 200) << out.response.body;
  EXPECT_EQ(out.json["success"], true);
  EXPECT_EQ(out.json["redirect"], "/admin/login.html");
  std::string cookie(*out.response.headers.get("Set-Cookie"));
  EXPECT_NE(cookie.find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(get("/api/v1/me", b).response.status, 401);
}

// Seed hole 17.1.11 (no CSRF protection).
TEST_F(LoginTest, Hole_17_1_11_CsrfRequiredForCookieWritesNotForTokenWrites) {
  make_user("root@example.com", "rootpassword", "admin");
  auto admin = login("root@example.com", "rootpassword");
  ASSERT_TRUE(admin);
  json body = {{"email", "new1@example.com"}, {"password", "newpassword"}};

  Call c;
  c.method = "POST";
  c.target = "/api/v1/users";
  c.body = body.dump();
  c.browser = admin;
  c.omit_csrf = true;
  Sent missing = call(c);
  EXPECT_EQ(missing.response.status, 403);
  EXPECT_EQ(missing.json["error"]["code"], "csrf_failed");
  c.csrf = std::string(64, 'a');
  EXPECT_EQ(call(c).response.status, 403);
  c.csrf = admin->csrf;
  EXPECT_EQ(call(c).response.status, 201);

  // Logout is a write too.
  Call lo;
  lo.method = "POST";
  lo.target = "/admin/logout";
  lo.browser = admin;
  lo.omit_csrf = true;
  EXPECT_EQ(call(lo).response.status, 403);

  // Reads need no token.
  EXPECT_EQ(get("/api/v1/users", admin).response.status, 200);

  // Master-key and bearer-token writes are exempt.
  Call m;
  m.method = "POST";
  m.target = "/api/v1/users";
  m.body = json{{"email", "new2@example.com"}, {"password", "newpassword"}}.dump();
  m.master_key = kMasterKey;
  EXPECT_EQ(call(m).response.status, 201);
  std::string token = make_session("s1", std::nullopt);
  Call t;
  t.method = "POST";
  t.target = "/api/v1/probe/sessions/s1/act";
  t.bearer = token;
  EXPECT_EQ(call(t).response.status, 200);

  // The CSRF route returns the same token as login.
  Sent csrf = get("/api/v1/csrf", admin);
  EXPECT_EQ(csrf.json["csrfToken"], admin->csrf);
}

TEST_F(LoginTest, LogoutEverywhereOnDisableDemotePasswordChangeAndDelete) {
  make_user("root@example.com", "rootpassword", "admin");
  make_user("root2@example.com", "rootpassword", "admin");
  make_user("u1@example.com", "u1password");
  make_user("u2@example.com", "u2password");
  make_user("u4@example.com", "u4password");
  auto admin = login("root@example.com", "rootpassword");
  ASSERT_TRUE(admin);

  struct Case {
    std::string email, password;
    json change;
    std::string method = "PUT";
  };
  std::vector<Case> cases = {
      {"u1@example.com", "u1password", {{"isActive", false}}},
      {"root2@example.com", "rootpassword", {{"role", "user"}}},
      {"u2@example.com", "u2password", {{"password", "a-new-password"}}},
      {"u4@example.com", "u4password", nullptr, "DELETE"},
  };
  for (const auto& k : cases) {
    auto phone = login(k.email, k.password);
    auto laptop = login(k.email, k.password);
    ASSERT_TRUE(phone && laptop) << k.email;
    ASSERT_EQ(get("/api/v1/me", phone).response.status, 200);
    // A live-feed connection of that user, too.
    Sent ticket = get("/api/v1/ws-auth", laptop);
    auto req = std::make_shared<http::Request>();
    req->id = 9000 + next_request_id_++;
    req->set_target("/ws?token=" + ticket.json["wsToken"].get<std::string>());
    ASSERT_FALSE(feed_->admit(*req));
    auto ws = std::make_shared<FakeWs>(req->id);
    feed_->open(req, ws);
    ASSERT_TRUE(ws->is_open());

    Sent r = send(k.method, "/api/v1/users/" + k.email, k.change, admin);
    ASSERT_EQ(r.response.status, 200) << k.email << " " << r.response.body;
    EXPECT_EQ(get("/api/v1/me", phone).response.status, 401) << k.email;
    EXPECT_EQ(get("/api/v1/me", laptop).response.status, 401) << k.email;
    EXPECT_FALSE(ws->is_open()) << k.email;
  }
  // The admin doing it is unaffected.
  EXPECT_EQ(get("/api/v1/me", admin).response.status, 200);
}

TEST_F(LoginTest, MasterKeyChecks) {
  Call c;
  c.target = "/api/v1/users";
  c.master_key = "wrong";
  EXPECT_EQ(call(c).response.status, 401);
  c.master_key = kMasterKey;
  EXPECT_EQ(call(c).response.status, 200);
  // A wrong master key never falls back to the cookie.
  make_user("root@example.com", "rootpassword", "admin");
  auto admin = login("root@example.com", "rootpassword");
  c.browser = admin;
  c.master_key = "wrong";
  EXPECT_EQ(call(c).response.status, 401);

  auto o = default_options();
  o.master_api_key = "";  // not configured: the header is refused, never "skipped" (hole 17.1.3)
  build(o);
  Call none;
  none.target = "/api/v1/users";
  none.master_key = "";
  EXPECT_EQ(call(none).response.status, 401);
  none.master_key = "anything";
  EXPECT_EQ(call(none).response.status, 401);
  Call anon;
  anon.target = "/api/v1/probe/master";
  EXPECT_EQ(call(anon).response.status, 401);
}

TEST_F(LoginTest, UnknownAuthTagFailsClosed) {
  EXPECT_EQ(get("/api/v1/probe/typo").response.status, 500);
}

TEST_F(LoginTest, PerTokenRateLimit) {
  auto o = default_options();
  o.token_rate_per_minute = 3;
  build(o);
  std::string token = make_session("s1", std::nullopt);
  Call t;
  t.method = "POST";
  t.target = "/api/v1/probe/sessions/s1/act";
  t.bearer = token;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call(t).response.status, 200);
  Sent refused = call(t);
  EXPECT_EQ(refused.response.status, 429);
  EXPECT_TRUE(refused.response.headers.has("Retry-After"));
  clock_.advance(std::chrono::seconds(60));
  EXPECT_EQ(call(t).response.status, 200);
}

}  // namespace
}  // namespace gw::testing
