// One regression test per hole of the Node seed (seed-system.md §17.1), each against the whole
// gateway over loopback HTTP, proving the hole is closed. docs/security.md maps hole → test.
#include <sys/stat.h>

#include "gateway/sessions/session_manager.h"
#include "tests/unit/gateway_security/security_env.h"

namespace gw::security_testing {
namespace {

using json = nlohmann::json;

// The status line of a WebSocket upgrade to `target` (the connection is closed right after).
int upgrade_status(uint16_t port, const std::string& target) {
  int fd = connect_loopback(port);
  if (fd < 0) return 0;
  std::string req = "GET " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "\r\n";
  send_all(fd, req);
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return in.size() >= 12 ? std::atoi(in.substr(9, 3).c_str()) : 0;
}

// A loopback TCP listener that counts connection attempts (an SSRF target).
class CanaryListener {
 public:
  CanaryListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~CanaryListener() { ::close(fd_); }
  uint16_t port() const { return port_; }
  int accepted() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return count_;
      ::close(c);
      ++count_;
    }
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  int count_ = 0;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HolesTest : public SecurityTest {};

// 17.1.1 — `{}` (undefined == undefined) logged in as admin when ADMIN_DASHBOARD_PASSWORD was
// unset.
TEST_F(HolesTest, Hole01_LoginBypassWithEmptyBody) {
  ASSERT_TRUE(env().config().admin_dashboard_password.empty());
  const std::vector<std::string> bodies = {
      "{}",
      R"({"password":null})",
      R"({"email":"","password":""})",
      R"({"password":""})",
      R"({"email":null,"password":null})",
      R"({"password":[]})",
      R"({"password":{}})",
      "[]",
      "not json",
      "",
  };
  for (const auto& body : bodies) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/admin/login";
    r.body = body;
    HttpResponse res = call(r);
    // 429: these failures count towards the login throttle like any other.
    EXPECT_TRUE(res.status == 400 || res.status == 401 || res.status == 429)
        << body << " → " << res.status;
    EXPECT_FALSE(res.header("set-cookie").has_value()) << body;
    EXPECT_NE(res.json().value("status", ""), "success") << body;
  }
  EXPECT_EQ(get("/api/v1/me").status, 401);
}

// 17.1.2 — anonymous GET /sessions and /api/v1/sessions returned every session with its token.
TEST_F(HolesTest, Hole02_SessionListingsNeverDiscloseTokens) {
  Login owner = new_login("h2owner");
  Login admin = new_login("h2admin", "admin");
  LinkedSession s = new_session(owner.cred, "h2");
  ASSERT_FALSE(s.token.empty());

  HttpResponse anon = get("/api/v1/sessions");
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(anon.body.find(s.token), std::string::npos);
  HttpResponse seed_path = get("/sessions");  // the seed's unauthenticated listing
  EXPECT_TRUE(seed_path.status == 404 || seed_path.status == 401) << seed_path.status;
  EXPECT_EQ(seed_path.body.find(s.token), std::string::npos);

  for (const Credential& c : {owner.cred, admin.cred, Credential::master()}) {
    for (const std::string& target : {std::string("/api/v1/sessions"), "/api/v1/sessions/" + s.id,
                                      std::string("/api/v1/users")}) {
      HttpResponse r = get(target, c);
      EXPECT_EQ(r.status, 200) << target;
      EXPECT_EQ(r.body.find(s.token), std::string::npos) << target << " leaks the token";
      EXPECT_EQ(r.body.find("\"token\""), std::string::npos) << target << " has a token field";
    }
  }
  // The token itself still works: it was hidden, not broken.
  EXPECT_EQ(get("/api/v1/sessions/" + s.id, Credential::token(s.token)).status, 200);
}

// 17.1.3 — session creation was open to anyone when MASTER_API_KEY was unset. (With the key unset
// the header is refused outright: LoginTest.MasterKeyChecks in gateway_auth_tests.)
TEST_F(HolesTest, Hole03_SessionCreationNeedsTheMasterKeyOrALogin) {
  Login owner = new_login("h3owner");
  LinkedSession s = new_session(owner.cred, "h3");
  const std::string id = unique("h3open");
  Credential wrong_master;
  wrong_master.master_key = "not-the-master-key";
  for (const Credential& c : {Credential::none(), wrong_master, Credential::token(s.token),
                              Credential::token(kWrongTokenValue)}) {
    HttpResponse r = send("POST", "/api/v1/sessions", {{"sessionId", id}}, c);
    // 401 without a usable credential; an invalid bearer is 403 "Invalid token" (seed shape).
    EXPECT_TRUE(r.status == 401 || (!c.bearer.empty() && r.status == 403)) << r.status << r.body;
    EXPECT_EQ(r.body.find("\"token\":\"slt_"), std::string::npos);
  }
  HttpResponse anon = send("POST", "/api/v1/sessions", {{"sessionId", id}});
  EXPECT_NE(anon.body.find("Master API key"), std::string::npos) << anon.body;
  EXPECT_EQ(get("/api/v1/sessions/" + id, Credential::master()).status, 404);
  // The master key and a login may create.
  EXPECT_EQ(send("POST", "/api/v1/sessions", {{"sessionId", id}}, Credential::master()).status,
            201);
}

// 17.1.4 — the session id was joined into a directory path (../ traversal, recursive delete).
TEST_F(HolesTest, Hole04_SessionIdPathTricksAreRefused) {
  const std::vector<std::string> bad = {
      "../evil",     "..",       "a/b",     "..\\evil",   "%2e%2e%2fevil",
      "/etc",        "a.b",      "ev il/x", "se\xC3\xA9", std::string(65, 'a'),
      "<img src=x>", "a;rm -rf", "~root",   "a\\b",       "..%2F..%2F",
  };
  for (const auto& id : bad) {
    HttpResponse r = send("POST", "/api/v1/sessions", {{"sessionId", id}}, Credential::master());
    EXPECT_EQ(r.status, 400) << "sessionId " << json(id).dump() << " → " << r.status << " "
                             << r.body;
  }
  auto all = env().storage().wa_sessions().list();
  ASSERT_TRUE(all.ok());
  for (const auto& s : *all) {
    EXPECT_TRUE(sessions::valid_session_id(s.id)) << "stored session id " << s.id;
  }
  EXPECT_FALSE(std::filesystem::exists(env().dir().parent_path() / "evil"));
  EXPECT_FALSE(std::filesystem::exists(env().dir() / "evil"));

  // Encoded traversal in the path and the query reaches nothing and crashes nothing.
  const std::filesystem::path canary = env().dir() / "canary";
  std::filesystem::create_directories(canary);
  for (const std::string target :
       {"/api/v1/sessions/..%2Fcanary", "/api/v1/sessions/..%2F..%2F", "/api/v1/sessions/%2e%2e"}) {
    HttpResponse del = send("DELETE", target, nullptr, Credential::master());
    EXPECT_TRUE(del.status == 400 || del.status == 404) << target << " → " << del.status;
  }
  HttpResponse q = send("POST", "/api/v1/messages?sessionId=..%2Fcanary",
                        {{"to", "15550001111"}, {"type", "text"}, {"text", {{"body", "x"}}}},
                        Credential::master());
  EXPECT_TRUE(q.status == 400 || q.status == 404) << q.status << " " << q.body;
  EXPECT_TRUE(std::filesystem::exists(canary));
}

// 17.1.5 — the token guard could not see route params: any token could delete any session.
TEST_F(HolesTest, Hole05_ATokenActsOnlyOnItsOwnSession) {
  Login owner = new_login("h5owner");
  Login other = new_login("h5other");
  LinkedSession a = new_session(owner.cred, "h5a");
  LinkedSession b = new_session(other.cred, "h5b");
  const Credential tb = Credential::token(b.token);
  const json text = {{"to", "15550001111"}, {"type", "text"}, {"text", {{"body", "x"}}}};

  EXPECT_EQ(send("DELETE", "/api/v1/sessions/" + a.id, nullptr, tb).status, 403);
  EXPECT_EQ(send("POST", "/api/v1/sessions/" + a.id + "/token/rotate", nullptr, tb).status, 403);
  EXPECT_EQ(send("POST", "/api/v1/sessions/" + a.id + "/logout", nullptr, tb).status, 403);
  EXPECT_EQ(send("POST", "/api/v1/messages?sessionId=" + a.id, text, tb).status, 403);
  EXPECT_EQ(
      send("POST", "/api/v1/webhook", {{"sessionId", a.id}, {"url", "https://x.example/"}}, tb)
          .status,
      403);
  EXPECT_EQ(send("POST", "/api/send-message",
                 {{"sessionId", a.id}, {"number", "15550001111"}, {"message", "x"}}, tb)
                .status,
            403);
  {  // media upload naming session A in a form field
    Multipart m;
    m.field("sessionId", a.id).file("file", "x.png", "image/png", tiny_png());
    HttpRequest h;
    h.method = "POST";
    h.target = "/api/v1/media";
    h.body = m.finish();
    h.content_type = m.content_type();
    EXPECT_EQ(call(h, tb).status, 403);
  }
  {  // legacy form route naming session A in a form field
    Multipart m;
    m.field("sessionId", a.id).field("phone", "15550001111").field("message", "x");
    HttpRequest h;
    h.method = "POST";
    h.target = "/api/message";
    h.body = m.finish();
    h.content_type = m.content_type();
    EXPECT_EQ(call(h, tb).status, 403);
  }
  // Naming two sessions in one request (own in the query, another in the body) is refused.
  json both = text;
  both["sessionId"] = a.id;
  EXPECT_EQ(send("POST", "/api/v1/messages?sessionId=" + b.id, both, tb).status, 400);
  // Parser differentials: a UTF-8 byte order mark before the JSON body (skipped by the JSON
  // parser every handler uses) must not hide the body's sessionId from the access check.
  auto bom_post = [&](const std::string& target, const json& body) {
    HttpRequest h;
    h.method = "POST";
    h.target = target;
    h.body = "\xEF\xBB\xBF" + body.dump();
    return call(h, tb);
  };
  HttpResponse replay = bom_post(
      "/api/v1/webhook/replay",
      {{"sessionId", a.id}, {"from", "2020-01-01T00:00:00Z"}, {"to", "2030-01-01T00:00:00Z"}});
  EXPECT_TRUE(replay.status == 403 || replay.status == 400) << replay.status << " " << replay.body;
  HttpResponse hook = bom_post("/api/v1/webhook?sessionId=" + b.id,
                               {{"sessionId", a.id}, {"url", "https://93.184.216.34/attacker"}});
  EXPECT_TRUE(hook.status == 403 || hook.status == 400) << hook.status << " " << hook.body;
  HttpResponse legacy = bom_post(
      "/api/send-message", {{"sessionId", a.id}, {"number", "15550001111"}, {"message", "x"}});
  EXPECT_TRUE(legacy.status == 403 || legacy.status == 400) << legacy.status << " " << legacy.body;
  HttpResponse a_hook = get("/api/v1/webhook?sessionId=" + a.id, Credential::token(a.token));
  EXPECT_EQ(a_hook.body.find("/attacker"), std::string::npos) << a_hook.body;
  // Session A is untouched and its own token still works on it.
  EXPECT_EQ(get("/api/v1/sessions/" + a.id, Credential::token(a.token)).status, 200);
}

// 17.1.6 — anonymous WebSocket clients received the full log stream.
TEST_F(HolesTest, Hole06_WebSocketNeedsAOneTimeTicket) {
  const uint16_t port = env().port();
  EXPECT_EQ(upgrade_status(port, "/ws"), 401);
  EXPECT_EQ(upgrade_status(port, "/ws/"), 401);
  EXPECT_EQ(upgrade_status(port, "/"), 401);
  EXPECT_EQ(upgrade_status(port, "/ws?token=" + std::string(64, 'a')), 401);
  // A session token or the master key is not a ticket.
  Login owner = new_login("h6owner");
  LinkedSession s = new_session(owner.cred, "h6");
  EXPECT_EQ(upgrade_status(port, "/ws?token=" + s.token), 401);
  EXPECT_EQ(upgrade_status(port, std::string("/ws?token=") + kMasterKey), 401);
  // A real ticket works exactly once.
  HttpResponse t = get("/api/v1/ws-auth", owner.cred);
  ASSERT_EQ(t.status, 200);
  const std::string ticket = t.json().value("wsToken", "");
  ASSERT_FALSE(ticket.empty());
  EXPECT_EQ(upgrade_status(port, "/ws?token=" + ticket), 101);
  EXPECT_EQ(upgrade_status(port, "/ws?token=" + ticket), 401);
}

// 17.1.7 — stored XSS: attacker-chosen e-mails/session ids rendered as HTML, inline scripts
// allowed by the CSP, uploads served as HTML from the same origin.
TEST_F(HolesTest, Hole07_StoredXssIsDataNotMarkup) {
  const std::string payload = "<script>alert(1)</script>@x.test";
  HttpResponse failed =
      send("POST", "/admin/login", {{"email", payload}, {"password", "whatever-it-is"}});
  EXPECT_EQ(failed.status, 401);
  Login admin = new_login("h7admin", "admin");
  HttpResponse acts = get("/api/v1/activities?limit=1000", admin.cred);
  ASSERT_EQ(acts.status, 200);
  EXPECT_EQ(acts.header("content-type").value_or("").rfind("application/json", 0), 0u);
  EXPECT_EQ(acts.header("x-content-type-options").value_or(""), "nosniff");
  const std::string csp = acts.header("content-security-policy").value_or("");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  // No HTML-ish identifiers get in.
  EXPECT_EQ(send("POST", "/api/v1/users", {{"email", payload}, {"password", "long-enough-pw"}},
                 admin.cred)
                .status,
            400);
  EXPECT_EQ(
      send("POST", "/api/v1/sessions", {{"sessionId", "<img src=x onerror=alert(1)>"}}, admin.cred)
          .status,
      400);
  // Uploads: the type comes from the bytes, not the client; HTML is refused whatever it claims.
  LinkedSession s = new_session(admin.cred, "h7");
  for (const auto& [name, type] : std::vector<std::pair<std::string, std::string>>{
           {"x.html", "text/html"}, {"x.png", "image/png"}, {"x.svg", "image/svg+xml"}}) {
    Multipart m;
    m.field("sessionId", s.id)
        .file("file", name, type, "<html><body><script>alert(document.cookie)</script></html>");
    HttpRequest h;
    h.method = "POST";
    h.target = "/api/v1/media";
    h.body = m.finish();
    h.content_type = m.content_type();
    HttpResponse up = call(h, Credential::token(s.token));
    EXPECT_EQ(up.status, 400) << name << " " << up.body;
  }
}

// 17.1.8 — user updates logged the raw body, password included.
TEST_F(HolesTest, Hole08_PasswordsNeverReachTheAuditLog) {
  Login admin = new_login("h8admin", "admin");
  const std::string email = unique("h8victim") + "@sec.test";
  make_user(email);
  const std::string secret = "Pl41ntext-" + unique("pw") + "-Secret";
  HttpResponse up =
      send("PUT", "/api/v1/users/" + email, {{"password", secret}, {"role", "user"}}, admin.cred);
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.body.find(secret), std::string::npos);
  HttpResponse created =
      send("POST", "/api/v1/users",
           {{"email", unique("h8new") + "@sec.test"}, {"password", secret}}, admin.cred);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.body.find(secret), std::string::npos);

  std::string acts;
  ASSERT_TRUE(eventually([&] {
    acts = get("/api/v1/activities?limit=1000", admin.cred).body;
    return acts.find(email) != std::string::npos;
  })) << "the update was not recorded";
  EXPECT_EQ(acts.find(secret), std::string::npos) << "activity log contains the password";
  EXPECT_EQ(get("/api/v1/logs/export", admin.cred).body.find(secret), std::string::npos);
  EXPECT_EQ(env().server_log().find(secret), std::string::npos) << "server log has the password";
}

// 17.1.9 — tokens stored in plaintext, never rotated, shown in the UI and WS.
TEST_F(HolesTest, Hole09_TokensAreStoredHashedShownOnceAndRotatable) {
  Login owner = new_login("h9owner");
  LinkedSession s = new_session(owner.cred, "h9");
  ASSERT_EQ(s.token.rfind("slt_", 0), 0u) << s.token;
  // Shown once: no later read returns it.
  EXPECT_EQ(get("/api/v1/sessions/" + s.id, owner.cred).body.find(s.token), std::string::npos);
  // Stored hashed: the plaintext is nowhere in the database files.
  for (const char* f : {"superlight.db", "superlight.db-wal"}) {
    const std::string bytes = read_file(env().dir() / f);
    EXPECT_EQ(bytes.find(s.token), std::string::npos) << f << " stores the plaintext token";
    EXPECT_EQ(bytes.find(s.token.substr(4)), std::string::npos) << f;
  }
  // Rotation: the new token works, the old one stops.
  HttpResponse rot = send("POST", "/api/v1/sessions/" + s.id + "/token/rotate", nullptr,
                          Credential::token(s.token));
  ASSERT_EQ(rot.status, 200) << rot.body;
  const std::string fresh = rot.json().value("token", "");
  ASSERT_FALSE(fresh.empty());
  EXPECT_NE(fresh, s.token);
  const int old_status = get("/api/v1/sessions/" + s.id, Credential::token(s.token)).status;
  EXPECT_TRUE(old_status == 401 || old_status == 403) << old_status;
  EXPECT_EQ(get("/api/v1/sessions/" + s.id, Credential::token(fresh)).status, 200);
  EXPECT_EQ(env().server_log().find(fresh), std::string::npos);
  EXPECT_EQ(env().server_log().find(s.token), std::string::npos);
}

// 17.1.10 — any user could read/act on other users' campaigns, lists, logs and sessions.
TEST_F(HolesTest, Hole10_UsersSeeOnlyTheirOwnThings) {
  Login owner = new_login("h10owner");
  Login other = new_login("h10other");
  LinkedSession a = new_session(owner.cred, "h10a");

  HttpResponse list = get("/api/v1/sessions", other.cred);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(a.id), std::string::npos) << "other user sees the owner's session";
  EXPECT_EQ(get("/api/v1/sessions/" + a.id, other.cred).status, 403);
  EXPECT_EQ(get("/api/v1/webhook?sessionId=" + a.id, other.cred).status, 403);
  EXPECT_EQ(get("/api/v1/sessions/" + a.id + "/qr", other.cred).status, 403);

  ASSERT_TRUE(eventually([&] {
    return get("/api/v1/activities?limit=1000", owner.cred).body.find(a.id) != std::string::npos;
  })) << "owner's own activity row missing";
  EXPECT_EQ(get("/api/v1/activities?limit=1000", other.cred).body.find(a.id), std::string::npos);
  EXPECT_EQ(get("/api/v1/activities?limit=1000", other.cred).body.find(owner.email),
            std::string::npos);
  HttpResponse users = get("/api/v1/users", other.cred);
  ASSERT_EQ(users.status, 200);
  EXPECT_EQ(users.body.find(owner.email), std::string::npos);
  // system.log: never writable by a plain user (the seed let anyone overwrite it).
  EXPECT_EQ(send("POST", "/admin/update-logs", {{"logs", json::array()}}, other.cred).status, 403);
  EXPECT_EQ(get("/api/v1/activities/summary", other.cred).status, 403);
}

// 17.1.11 — no CSRF protection, insecure cookie, no regeneration, stale roles after demotion.
TEST_F(HolesTest, Hole11_SessionHandlingIsHardened) {
  const std::string email = unique("h11") + "@sec.test";
  make_user(email, "admin");
  make_user(unique("h11keeper") + "@sec.test", "admin");  // the last admin cannot be demoted
  auto first = login(email);
  ASSERT_TRUE(first.has_value());
  const std::string& cookie = first->set_cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Lax"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain http: " << cookie;
  // Behind a trusted (loopback) proxy that terminated TLS, the cookie is Secure.
  auto https = login(email, kPassword, "", /*forwarded_https=*/true);
  ASSERT_TRUE(https.has_value());
  EXPECT_NE(https->set_cookie.find("Secure"), std::string::npos) << https->set_cookie;

  // CSRF on cookie writes; not on token writes.
  Credential no_csrf = first->cred;
  no_csrf.send_csrf = false;
  HttpResponse r = send("POST", "/api/v1/sessions", {{"sessionId", unique("h11")}}, no_csrf);
  EXPECT_EQ(r.status, 403) << r.body;
  Credential bad_csrf = first->cred;
  bad_csrf.csrf = std::string(64, '0');
  EXPECT_EQ(send("POST", "/api/v1/sessions", {{"sessionId", unique("h11")}}, bad_csrf).status, 403);
  Credential other_csrf = first->cred;
  other_csrf.csrf = https->cred.csrf;  // another session's token
  EXPECT_EQ(send("POST", "/api/v1/sessions", {{"sessionId", unique("h11")}}, other_csrf).status,
            403);
  EXPECT_EQ(send("POST", "/api/v1/sessions", {{"sessionId", unique("h11")}}, first->cred).status,
            201);

  // Regeneration: logging in again from the same browser issues a new id and kills the old one.
  auto second = login(email, kPassword, first->cred.cookie);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->cred.cookie, first->cred.cookie);
  EXPECT_EQ(get("/api/v1/me", first->cred).status, 401);
  EXPECT_EQ(get("/api/v1/me", second->cred).status, 200);

  // Demotion, password change and disabling each log the user out everywhere.
  EXPECT_EQ(get("/api/v1/activities/summary", second->cred).status, 200);
  ASSERT_EQ(send("PUT", "/api/v1/users/" + email, {{"role", "user"}}, Credential::master()).status,
            200);
  EXPECT_EQ(get("/api/v1/me", second->cred).status, 401);
  EXPECT_EQ(get("/api/v1/me", https->cred).status, 401);
  auto third = login(email);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(get("/api/v1/activities/summary", third->cred).status, 403) << "role is re-read";
  ASSERT_EQ(send("PUT", "/api/v1/users/" + email, {{"password", "a-brand-new-password"}},
                 Credential::master())
                .status,
            200);
  EXPECT_EQ(get("/api/v1/me", third->cred).status, 401);
  auto fourth = login(email, "a-brand-new-password");
  ASSERT_TRUE(fourth.has_value());
  ASSERT_EQ(
      send("PUT", "/api/v1/users/" + email, {{"isActive", false}}, Credential::master()).status,
      200);
  EXPECT_EQ(get("/api/v1/me", fourth->cred).status, 401);
  EXPECT_FALSE(login(email, "a-brand-new-password").has_value()) << "disabled user logged in";
}

// 17.1.12 — the server fetched arbitrary media links and posted to internal webhook URLs.
TEST_F(HolesTest, Hole12_NoRequestsToPrivateAddresses) {
  ASSERT_FALSE(env().config().allow_private_webhooks);
  CanaryListener canary;
  const std::string local = "http://127.0.0.1:" + std::to_string(canary.port());
  Login owner = new_login("h12owner");
  LinkedSession s = new_session(owner.cred, "h12");
  for (const std::string& url :
       {local + "/hook", "http://localhost:" + std::to_string(canary.port()) + "/hook",
        std::string("http://10.1.2.3/hook"), std::string("http://192.168.0.1/hook"),
        std::string("http://169.254.169.254/latest/meta-data/"), std::string("http://[::1]/hook"),
        std::string("http://0.0.0.0/hook"), std::string("http://2130706433/hook"),
        std::string("file:///etc/passwd"), std::string("gopher://127.0.0.1/")}) {
    HttpResponse r = send("POST", "/api/v1/webhook", {{"sessionId", s.id}, {"url", url}},
                          Credential::token(s.token));
    EXPECT_TRUE(r.status == 400 || r.status == 403) << url << " → " << r.status << " " << r.body;
  }
  // A media link to a loopback address is refused and never fetched (per-item error).
  for (const char* type : {"image", "document"}) {
    json msg = {{"to", "15550001111"},
                {"type", type},
                {type, {{"link", local + "/secret.png"}, {"caption", "x"}}}};
    HttpResponse r =
        send("POST", "/api/v1/messages?sessionId=" + s.id, msg, Credential::token(s.token));
    EXPECT_EQ(r.body.find("\"success\""), std::string::npos) << r.status << " " << r.body;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(canary.accepted(), 0) << "the server connected to a loopback address";
}

// 17.1.13 — weak defaults: seeded admin@admin.com/123456789, change_this_secret, key per boot.
TEST_F(HolesTest, Hole13_NoWeakDefaults) {
  EXPECT_EQ(send("POST", "/admin/login", {{"email", "admin@admin.com"}, {"password", "123456789"}})
                .status,
            401);
  auto seeded = env().storage().users().find_by_email("admin@admin.com");
  ASSERT_TRUE(seeded.ok());
  EXPECT_FALSE(seeded->has_value());
  auto weak = config::load(config::map_lookup({{"SESSION_SECRET", "change_this_secret"}}));
  EXPECT_FALSE(weak.ok());
  // The storage key is a file (same key after restart), readable by the owner only.
  const auto key = env().dir() / "secret.key";
  if (std::filesystem::exists(key)) {
    struct stat st {};
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << "secret.key is readable by group/others";
  }
}

// 17.1.14 — uploads size-checked after writing, uploads public, stack traces in error pages.
TEST_F(HolesTest, Hole14_BoundedUploadsAndNoStackTraces) {
  Login owner = new_login("h14owner");
  LinkedSession s = new_session(owner.cred, "h14");
  // 2 MB against MAX_UPLOAD_MB=1: refused while reading, nothing left behind.
  Multipart m;
  m.field("sessionId", s.id)
      .file("file", "big.png", "image/png", tiny_png() + std::string(2 << 20, 'x'));
  HttpRequest h;
  h.method = "POST";
  h.target = "/api/v1/media";
  h.body = m.finish();
  h.content_type = m.content_type();
  HttpResponse big = call(h, Credential::token(s.token));
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_TRUE(eventually([&] {
    std::error_code ec;
    auto dir = env().config().upload_dir();
    if (!std::filesystem::exists(dir)) return true;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      (void)e;
      return false;
    }
    return true;
  })) << "temporary upload files left behind";
  // JSON bodies over MAX_BODY_KB.
  HttpRequest huge;
  huge.method = "POST";
  huge.target = "/api/v1/messages?sessionId=" + s.id;
  huge.body = "{\"to\":\"1\",\"type\":\"text\",\"text\":{\"body\":\"" +
              std::string(100 * 1024, 'a') + "\"}}";
  EXPECT_EQ(call(huge, Credential::token(s.token)).status, 413);
  // Uploads are not public.
  Multipart ok;
  ok.field("sessionId", s.id).file("file", "a.png", "image/png", tiny_png());
  h.body = ok.finish();
  h.content_type = ok.content_type();
  HttpResponse up = call(h, Credential::token(s.token));
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string media = "/api/v1/media/" + up.json().value("mediaId", "");
  EXPECT_EQ(get(media).status, 401);
  EXPECT_EQ(get(media, Credential::token(s.token)).status, 200);
  // Errors (the legacy routes crashed with stack traces in the seed) are short JSON.
  for (const auto& [target, body] : std::vector<std::pair<std::string, std::string>>{
           {"/api/send-message", "{not json"},
           {"/api/send-message", "[1,2,3]"},
           {"/api/message", "{\"phone\":{}}"},
           {"/api/v1/messages?sessionId=" + s.id, "{\"to\":"}}) {
    HttpRequest e;
    e.method = "POST";
    e.target = target;
    e.body = body;
    HttpResponse r = call(e, Credential::token(s.token));
    EXPECT_TRUE(r.status >= 400 && r.status < 500) << target << " " << body << " → " << r.status;
    auto j = r.json();
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_TRUE(j.contains("error") || j.value("status", "") == "error") << r.body;
    EXPECT_EQ(r.body.find(".cpp"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("    at "), std::string::npos) << r.body;
  }
  HttpResponse unknown = get("/api/does-not-exist", Credential::token(s.token));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(unknown.json().contains("error")) << unknown.body;
}

// 17.1.15 — non-constant-time token compare, no brute-force protection on login.
TEST_F(HolesTest, Hole15_LoginLockoutAndTokenRateLimits) {
  const std::string email = unique("h15") + "@sec.test";
  make_user(email);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        send("POST", "/admin/login", {{"email", email}, {"password", "wrong-" + std::to_string(i)}})
            .status,
        401);
  }
  HttpResponse locked = send("POST", "/admin/login", {{"email", email}, {"password", kPassword}});
  EXPECT_EQ(locked.status, 429) << "the right password must not get through a lockout";
  EXPECT_TRUE(locked.header("retry-after").has_value());
  EXPECT_FALSE(locked.header("set-cookie").has_value());
  // A wrong token is refused the same way whatever its prefix matches (looked up by hash).
  Login owner = new_login("h15owner");
  LinkedSession s = new_session(owner.cred, "h15");
  std::string near = s.token;
  near.back() = near.back() == 'a' ? 'b' : 'a';
  const int near_status = get("/api/v1/sessions/" + s.id, Credential::token(near)).status;
  const int far_status =
      get("/api/v1/sessions/" + s.id, Credential::token(kWrongTokenValue)).status;
  EXPECT_TRUE(near_status == 401 || near_status == 403) << near_status;
  EXPECT_EQ(near_status, far_status);
}

}  // namespace
}  // namespace gw::security_testing
