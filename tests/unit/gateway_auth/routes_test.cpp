// Users, me, activities, logs and ws-auth routes: validations, the RBAC matrix over every route
// this component adds, token scope (hole 17.1.5), no passwords in activities (17.1.8), XSS
// inputs stored as data (17.1.7), delete-only system log (17.1.10).
#include <set>

#include "tests/unit/gateway_auth/fixture.h"

namespace gw::testing {
namespace {

using nlohmann::json;

class RoutesTest : public AuthFixture {
 protected:
  void SetUp() override {
    AuthFixture::SetUp();
    admin_user_ = make_user("root@example.com", "rootpassword", "admin");
    owner_user_ = make_user("owner@example.com", "ownerpassword");
    other_user_ = make_user("other@example.com", "otherpassword");
    admin_ = *login("root@example.com", "rootpassword");
    owner_ = *login("owner@example.com", "ownerpassword");
    other_ = *login("other@example.com", "otherpassword");
    token_a_ = make_session("session-a", owner_user_.id);
    token_b_ = make_session("session-b", other_user_.id);
  }

  storage::User admin_user_, owner_user_, other_user_;
  Browser admin_, owner_, other_;
  std::string token_a_, token_b_;
};

TEST_F(RoutesTest, UserValidations) {
  struct Bad {
    json body;
    std::string why;
  };
  for (const auto& b : std::vector<Bad>{
           {{{"email", "not-an-email"}, {"password", "longenough"}}, "format"},
           {{{"email", "a b@example.com"}, {"password", "longenough"}}, "space"},
           {{{"email", "x@example.com"}, {"password", "short"}}, "password length"},
           {{{"email", "x@example.com"}, {"password", "longenough"}, {"role", "root"}}, "role"},
           {{{"email", "x@example.com"}}, "no password"},
           {{{"password", "longenough"}}, "no email"},
           {{{"email", "OWNER@example.com"}, {"password", "longenough"}}, "duplicate"},
       }) {
    Sent s = send("POST", "/api/v1/users", b.body, admin_);
    EXPECT_EQ(s.response.status, 400) << b.why << ": " << s.response.body;
    EXPECT_EQ(s.json["status"], "error") << b.why;
    EXPECT_TRUE(s.json["message"].is_string()) << b.why;
  }
  Sent ok =
      send("POST", "/api/v1/users",
           {{"email", " New@Example.com "}, {"password", "longenough"}, {"role", "admin"}}, admin_);
  ASSERT_EQ(ok.response.status, 201) << ok.response.body;
  EXPECT_EQ(ok.json["email"], "new@example.com");
  EXPECT_EQ(ok.json["role"], "admin");
  EXPECT_EQ(ok.json["isActive"], true);
  EXPECT_EQ(ok.json["createdBy"], "root@example.com");
  EXPECT_TRUE(ok.json["sessions"].is_array());
  EXPECT_FALSE(ok.json.contains("password"));
  EXPECT_FALSE(ok.json.contains("passwordHash"));
  // The new user can log in with an argon2id hash.
  auto u = services_->storage().users().find_by_email("new@example.com");
  ASSERT_TRUE(u.ok() && *u);
  EXPECT_EQ((*u)->password_hash.rfind("$argon2id$", 0), 0u);

  // PUT validations.
  EXPECT_EQ(send("PUT", "/api/v1/users/owner@example.com", {{"password", "short"}}, admin_)
                .response.status,
            400);
  EXPECT_EQ(
      send("PUT", "/api/v1/users/owner@example.com", {{"isActive", "no"}}, admin_).response.status,
      400);
  EXPECT_EQ(
      send("PUT", "/api/v1/users/owner@example.com", {{"role", "god"}}, admin_).response.status,
      400);
  EXPECT_EQ(send("PUT", "/api/v1/users/owner@example.com", json::object(), admin_).response.status,
            400);
  EXPECT_EQ(
      send("PUT", "/api/v1/users/ghost@example.com", {{"isActive", false}}, admin_).response.status,
      404);
  EXPECT_EQ(send("DELETE", "/api/v1/users/ghost@example.com", nullptr, admin_).response.status,
            404);
}

TEST_F(RoutesTest, CannotRemoveYourselfOrTheLastAdmin) {
  Sent self_delete = send("DELETE", "/api/v1/users/root@example.com", nullptr, admin_);
  EXPECT_EQ(self_delete.response.status, 400);
  EXPECT_EQ(
      send("PUT", "/api/v1/users/root@example.com", {{"role", "user"}}, admin_).response.status,
      400);
  EXPECT_EQ(
      send("PUT", "/api/v1/users/root@example.com", {{"isActive", false}}, admin_).response.status,
      400);
  // The master key is nobody, but the last admin is still protected.
  Call m;
  m.method = "DELETE";
  m.target = "/api/v1/users/root@example.com";
  m.master_key = kMasterKey;
  EXPECT_EQ(call(m).response.status, 400);
  m.method = "PUT";
  m.body = json{{"role", "user"}}.dump();
  EXPECT_EQ(call(m).response.status, 400);
  // With a second admin, the first can be demoted (by the other).
  make_user("root2@example.com", "rootpassword", "admin");
  auto admin2 = login("root2@example.com", "rootpassword");
  Sent demoted = send("PUT", "/api/v1/users/root@example.com", {{"role", "user"}}, admin2);
  EXPECT_EQ(demoted.response.status, 200) << demoted.response.body;
  EXPECT_EQ(demoted.json["role"], "user");
  // Changing your own password is allowed (and logs you out everywhere).
  Sent own = send("PUT", "/api/v1/users/root2@example.com", {{"password", "another-pass"}}, admin2);
  EXPECT_EQ(own.response.status, 200);
  EXPECT_EQ(get("/api/v1/me", admin2).response.status, 401);
  EXPECT_TRUE(login("root2@example.com", "another-pass"));
}

TEST_F(RoutesTest, UsersListIsScopedAndMeCarriesSessions) {
  Sent all = get("/api/v1/users", admin_);
  ASSERT_EQ(all.response.status, 200);
  EXPECT_EQ(all.json.size(), 3u);
  Sent mine = get("/api/v1/users", owner_);
  ASSERT_EQ(mine.response.status, 200);
  ASSERT_EQ(mine.json.size(), 1u);
  EXPECT_EQ(mine.json[0]["email"], "owner@example.com");
  EXPECT_EQ(mine.json[0]["sessions"], json::array({"session-a"}));
  Sent me = get("/api/v1/me", owner_);
  EXPECT_EQ(me.json["sessions"], json::array({"session-a"}));
  EXPECT_EQ(me.json["role"], "user");
  EXPECT_TRUE(me.json["createdAt"].is_string());
  EXPECT_TRUE(me.json["lastLogin"].is_string());
}

// Every route this component adds, against every kind of caller.
TEST_F(RoutesTest, RbacMatrix) {
  enum Who { kAdmin, kOwner, kOther, kAnon, kWrongToken, kTokenA, kMaster };
  const std::vector<std::string> who_names = {"admin",       "owner",      "other", "anonymous",
                                              "wrong-token", "token-of-A", "master"};
  struct Row {
    std::string method, target;
    json body;
    std::vector<int> expect;  // by Who
  };
  // Bodies are built so that an allowed write succeeds without side effects on later rows.
  std::vector<Row> rows = {
      {"GET", "/api/v1/users", nullptr, {200, 200, 200, 401, 403, 403, 200}},
      {"POST",
       "/api/v1/users",
       {{"email", "short"}, {"password", "x"}},
       {400, 403, 403, 401, 403, 403, 400}},
      {"PUT",
       "/api/v1/users/nobody@example.com",
       {{"isActive", true}},
       {404, 403, 403, 401, 403, 403, 404}},
      {"DELETE", "/api/v1/users/nobody@example.com", nullptr, {404, 403, 403, 401, 403, 403, 404}},
      {"GET", "/api/v1/me", nullptr, {200, 200, 200, 401, 403, 403, 200}},
      {"GET", "/api/v1/csrf", nullptr, {200, 200, 200, 401, 403, 403, 200}},
      {"GET", "/api/v1/ws-auth", nullptr, {200, 200, 200, 401, 403, 200, 200}},
      {"GET", "/api/v1/activities", nullptr, {200, 200, 200, 401, 403, 403, 200}},
      {"GET", "/api/v1/activities/summary", nullptr, {200, 403, 403, 401, 403, 403, 200}},
      {"GET", "/admin/test-logs", nullptr, {200, 200, 200, 401, 403, 403, 200}},
      {"GET", "/api/v1/logs/export", nullptr, {200, 200, 200, 401, 403, 403, 200}},
      {"POST",
       "/admin/update-logs",
       {{"deleteIds", json::array()}},
       {200, 403, 403, 401, 403, 403, 200}},
      {"POST", "/admin/logout", nullptr, {200, 200, 200, 401, 403, 403, 200}},
      // The session-scoped tags, on probe routes shaped like the sessions helper's.
      {"POST",
       "/api/v1/probe/sessions/session-a/act",
       nullptr,
       {403, 403, 403, 401, 403, 200, 200}},
      {"DELETE", "/api/v1/probe/sessions/session-a", nullptr, {200, 200, 403, 401, 403, 200, 200}},
      {"POST",
       "/api/v1/probe/messages?sessionId=session-a",
       json::object(),
       {200, 200, 403, 401, 403, 200, 200}},
  };
  for (const auto& row : rows) {
    for (int w = kAdmin; w <= kMaster; ++w) {
      Call c;
      c.method = row.method;
      c.target = row.target;
      if (!row.body.is_null()) c.body = row.body.dump();
      switch (w) {
        case kAdmin:
          c.browser = admin_;
          break;
        case kOwner:
          c.browser = owner_;
          break;
        case kOther:
          c.browser = other_;
          break;
        case kAnon:
          break;
        case kWrongToken:
          c.bearer = "slt_thisTokenDoesNotExist0000000000000000000";
          break;
        case kTokenA:
          c.bearer = token_a_;
          break;
        case kMaster:
          c.master_key = kMasterKey;
          break;
      }
      Sent s = call(c);
      EXPECT_EQ(s.response.status, row.expect[w])
          << row.method << " " << row.target << " as " << who_names[w] << ": " << s.response.body;
      // Logging out must not break the following rows: log back in.
      if (row.target == "/admin/logout" && s.response.status == 200 && c.browser) {
        if (w == kAdmin) admin_ = *login("root@example.com", "rootpassword");
        if (w == kOwner) owner_ = *login("owner@example.com", "ownerpassword");
        if (w == kOther) other_ = *login("other@example.com", "otherpassword");
      }
    }
  }
}

// Seed hole 17.1.5: a session's token could act on every other session (route params unseen).
TEST_F(RoutesTest, Hole_17_1_5_TokenOfSessionACannotActOnSessionB) {
  Call c;
  c.method = "POST";
  c.bearer = token_a_;
  c.target = "/api/v1/probe/sessions/session-b/act";
  Sent s = call(c);
  EXPECT_EQ(s.response.status, 403);
  EXPECT_EQ(s.json["message"], "Invalid token for session session-b");
  c.target = "/api/v1/probe/sessions/session-a/act";
  EXPECT_EQ(call(c).response.status, 200);
  // Via the query string, the JSON body or multipart fields.
  c.method = "POST";
  c.target = "/api/v1/probe/messages?sessionId=session-b";
  EXPECT_EQ(call(c).response.status, 403);
  c.target = "/api/v1/probe/messages";
  c.body = json{{"sessionId", "session-b"}}.dump();
  EXPECT_EQ(call(c).response.status, 403);
  // Two different sessions in one request are refused outright.
  c.target = "/api/v1/probe/messages?sessionId=session-a";
  EXPECT_EQ(call(c).response.status, 400);
  // session-access demands a session.
  c.target = "/api/v1/probe/messages";
  c.body = "{}";
  EXPECT_EQ(call(c).response.status, 400);
  // A token is not a login: it cannot read users or activities.
  Call u;
  u.bearer = token_a_;
  u.target = "/api/v1/users";
  EXPECT_EQ(call(u).response.status, 403);
  // A revoked (rotated) token stops working.
  auto rotated = services_->storage().tokens().issue_session_token("session-a");
  ASSERT_TRUE(rotated.ok());
  c.target = "/api/v1/probe/sessions/session-a/act";
  c.body.clear();
  EXPECT_EQ(call(c).response.status, 403);
  c.bearer = rotated->token;
  EXPECT_EQ(call(c).response.status, 200);
}

TEST_F(RoutesTest, UserApiKeyActsAsThatUserWithoutCsrf) {
  auto key = services_->storage().tokens().issue_api_key(owner_user_.id, "ci");
  ASSERT_TRUE(key.ok());
  Call c;
  c.bearer = key->token;
  c.target = "/api/v1/me";
  Sent me = call(c);
  ASSERT_EQ(me.response.status, 200);
  EXPECT_EQ(me.json["email"], "owner@example.com");
  EXPECT_TRUE(me.json["csrfToken"].is_null());
  c.method = "DELETE";
  c.target = "/api/v1/probe/sessions/session-a";
  EXPECT_EQ(call(c).response.status, 200);
  c.target = "/api/v1/probe/sessions/session-b";
  EXPECT_EQ(call(c).response.status, 403);
}

// Seed hole 17.1.8: update_user logged the raw body, including the new password.
TEST_F(RoutesTest, Hole_17_1_8_UserUpdateActivityNeverContainsThePassword) {
  const std::string secret = "Sup3r-Secret-Passw0rd";
  ASSERT_EQ(send("PUT", "/api/v1/users/owner@example.com",
                 {{"password", secret}, {"role", "user"}, {"isActive", true}}, admin_)
                .response.status,
            200);
  ASSERT_EQ(send("POST", "/api/v1/users",
                 {{"email", "fresh@example.com"}, {"password", secret + "2"}}, admin_)
                .response.status,
            201);
  auto updates = activities(1, "update_user");
  ASSERT_FALSE(updates.empty());
  auto creates = activities(1, "create_user");
  ASSERT_FALSE(creates.empty());
  auto details = json::parse(*updates[0].details_json);
  EXPECT_EQ(details["changedFields"], json::array({"password", "role", "isActive"}));
  EXPECT_EQ(details["changes"]["role"], "user");
  for (const auto& all : activities(3)) {
    std::string row =
        all.details_json.value_or("") + all.user_email.value_or("") + all.resource_id.value_or("");
    EXPECT_EQ(row.find(secret), std::string::npos) << row;
  }
  Sent api = get("/api/v1/activities", admin_);
  EXPECT_EQ(api.response.body.find(secret), std::string::npos);
}

// Seed hole 17.1.7: the login e-mail was stored and rendered as HTML.
TEST_F(RoutesTest, Hole_17_1_7_XssInputsAreStoredAsDataAndReturnedAsJson) {
  const std::string evil = "<img src=x onerror=alert(1)>\"'</script>";
  EXPECT_EQ(
      send("POST", "/admin/login", {{"email", evil}, {"password", "whatever1"}}).response.status,
      401);
  activities(1, "login");
  Sent s;
  ASSERT_TRUE(eventually([&] {
    s = get("/api/v1/activities?limit=1000", admin_);
    for (const auto& a : s.json) {
      if (a["userEmail"] == evil) return true;
    }
    return false;
  }));
  EXPECT_EQ(s.response.headers.get("Content-Type"), "application/json; charset=utf-8");
  // The raw text is only ever inside a JSON string (quotes escaped), never markup of ours.
  EXPECT_NE(s.response.body.find("\\\"'</script>"), std::string::npos);
  // Creating a user with markup in the e-mail is refused by validation.
  EXPECT_EQ(
      send("POST", "/api/v1/users", {{"email", "<b>@x.com"}, {"password", "longenough"}}, admin_)
          .response.status,
      400);
}

TEST_F(RoutesTest, ActivitiesAreScopedAndFiltered) {
  send("PUT", "/api/v1/users/other@example.com", {{"role", "user"}}, admin_);
  activities(4);  // 3 logins + 1 update
  Sent mine = get("/api/v1/activities", owner_);
  ASSERT_EQ(mine.response.status, 200);
  ASSERT_FALSE(mine.json.empty());
  for (const auto& a : mine.json) EXPECT_EQ(a["userEmail"], "owner@example.com") << a.dump();
  Sent all = get("/api/v1/activities", admin_);
  std::set<std::string> emails;
  for (const auto& a : all.json) emails.insert(a["userEmail"].get<std::string>());
  EXPECT_GE(emails.size(), 3u);
  // Date filters: the fake clock is at 2023-11-14.
  EXPECT_TRUE(get("/api/v1/activities?startDate=2030-01-01", admin_).json.empty());
  EXPECT_FALSE(get("/api/v1/activities?endDate=2023-11-14", admin_).json.empty());
  EXPECT_EQ(get("/api/v1/activities?startDate=yesterday", admin_).response.status, 400);
  EXPECT_EQ(get("/api/v1/activities?limit=-3", admin_).response.status, 400);
  Sent summary = get("/api/v1/activities/summary?days=7", admin_);
  ASSERT_EQ(summary.response.status, 200);
  EXPECT_GE(summary.json["totalActivities"].get<int>(), 4);
  EXPECT_GE(summary.json["byAction"]["login"].get<int>(), 3);
  EXPECT_TRUE(summary.json["byResource"].is_object());
  EXPECT_TRUE(summary.json["byUser"].is_object());
  EXPECT_LE(summary.json["recentActivities"].size(), 10u);
}

// Seed hole 17.1.10: any user could read everyone's sent-message log and overwrite system.log.
TEST_F(RoutesTest, Hole_17_1_10_SystemLogIsOwnerScopedAndDeleteOnly) {
  live::SystemLogEntry a;
  a.session_id = "session-a";
  a.owner_id = owner_user_.id;
  a.message = "Messages sent";
  a.details = {{"event", "messages-sent"}, {"count", 1}, {"text", "hello secret text"}};
  auto ea = system_log_->append(a);
  live::SystemLogEntry b = a;
  b.session_id = "session-b";
  b.owner_id = other_user_.id;
  auto eb = system_log_->append(b);
  ASSERT_TRUE(ea.ok() && eb.ok());

  Sent owner_view = get("/admin/test-logs", owner_);
  ASSERT_EQ(owner_view.response.status, 200);
  ASSERT_EQ(owner_view.json["logCount"], 1);
  EXPECT_EQ(owner_view.json["logs"][0]["sessionId"], "session-a");
  EXPECT_EQ(owner_view.json["logFileExists"], true);
  // Message texts never reach the log.
  EXPECT_EQ(owner_view.response.body.find("hello secret text"), std::string::npos);
  EXPECT_EQ(get("/admin/test-logs", admin_).json["logCount"], 2);
  Sent exported = get("/api/v1/logs/export", owner_);
  EXPECT_EQ(exported.json.size(), 1u);
  EXPECT_NE(std::string(*exported.response.headers.get("Content-Disposition")).find("attachment"),
            std::string::npos);

  // Users cannot touch it.
  json injected = {{"logs", json::array({{{"id", "forged"}, {"message", "pwned"}}})}};
  EXPECT_EQ(send("POST", "/admin/update-logs", injected, owner_).response.status, 403);
  // Admins cannot inject either: unknown ids and id-less entries are refused, nothing changes.
  EXPECT_EQ(send("POST", "/admin/update-logs", injected, admin_).response.status, 400);
  EXPECT_EQ(
      send("POST", "/admin/update-logs", {{"logs", json::array({{{"message", "no id"}}})}}, admin_)
          .response.status,
      400);
  EXPECT_EQ(send("POST", "/admin/update-logs", {{"logs", "nope"}}, admin_).response.status, 400);
  EXPECT_EQ(system_log_->size(), 2u);
  // Posting back a modified copy of an entry keeps the server's copy.
  json kept = system_log_entry_json(*ea);
  kept["message"] = "rewritten";
  Sent retained = send("POST", "/admin/update-logs", {{"logs", json::array({kept})}}, admin_);
  ASSERT_EQ(retained.response.status, 200) << retained.response.body;
  EXPECT_EQ(retained.json["removed"], 1);
  ASSERT_EQ(system_log_->size(), 1u);
  EXPECT_EQ(system_log_->entries()[0].message, "Messages sent");
  // The file was rewritten: a reload sees the same single entry.
  live::SystemLog reloaded(dir_ / "system.log", clock_, core::SecureRandom::instance());
  ASSERT_TRUE(reloaded.load().ok());
  EXPECT_EQ(reloaded.size(), 1u);
  EXPECT_EQ(reloaded.entries()[0].id, ea->id);
  // Delete by id.
  Sent del = send("POST", "/admin/update-logs", {{"deleteIds", json::array({ea->id})}}, admin_);
  EXPECT_EQ(del.json["logCount"], 0);
}

TEST_F(RoutesTest, OptionalTagResolvesButNeverRequires) {
  Sent anon = get("/api/v1/probe/optional");
  EXPECT_EQ(anon.json["principal"], "anonymous");
  Sent user = get("/api/v1/probe/optional", owner_);
  EXPECT_EQ(user.json["principal"], "user:owner@example.com");
  Call stale;
  stale.target = "/api/v1/probe/optional";
  stale.browser = Browser{"stale-cookie-value", ""};
  EXPECT_EQ(call(stale).json["principal"], "anonymous");
  Call bad;
  bad.target = "/api/v1/probe/optional";
  bad.bearer = "slt_unknown";
  EXPECT_EQ(call(bad).response.status, 403);
  Call malformed;
  malformed.target = "/api/v1/probe/optional";
  malformed.headers.push_back({"Authorization", "Basic dXNlcjpwYXNz"});
  EXPECT_EQ(call(malformed).response.status, 401);
}

}  // namespace
}  // namespace gw::testing
