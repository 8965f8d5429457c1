// Hardening checks beyond the individual seed holes, over the whole gateway: security headers on
// every kind of response, HSTS only over HTTPS, CSRF on every cookie-authenticated write route
// (iterating the router), safe serving of uploads, and no tokens/passwords/message bodies in the
// server log, the activity log, the system log or the live feed.
#include "tests/unit/gateway_security/security_env.h"

namespace gw::security_testing {
namespace {

using json = nlohmann::json;

class HardeningTest : public SecurityTest {};

void expect_security_headers(const HttpResponse& r, const std::string& what) {
  const std::string csp = r.header("content-security-policy").value_or("");
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << what << ": " << csp;
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << what << ": " << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << what << ": " << csp;
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << what << ": " << csp;
  EXPECT_EQ(r.header("x-content-type-options").value_or(""), "nosniff") << what;
  EXPECT_EQ(r.header("x-frame-options").value_or(""), "DENY") << what;
  EXPECT_TRUE(r.header("referrer-policy").has_value()) << what;
}

TEST_F(HardeningTest, SecurityHeadersOnEveryKindOfResponse) {
  Login user = new_login("hdr");
  expect_security_headers(get("/health"), "health");
  expect_security_headers(get("/openapi.yaml"), "openapi");
  expect_security_headers(get("/api/v1/me", user.cred), "200 JSON");
  expect_security_headers(get("/api/v1/me"), "401");
  expect_security_headers(get("/api/v1/activities/summary", user.cred), "403");
  expect_security_headers(get("/no/such/route"), "404");
  expect_security_headers(send("PATCH", "/health", json::object()), "405");
  HttpRequest bad;
  bad.method = "POST";
  bad.target = "/admin/login";
  bad.body = "{broken";
  expect_security_headers(call(bad), "400");
  // Errors are JSON, never HTML.
  EXPECT_EQ(get("/no/such/route").header("content-type").value_or("").rfind("application/json", 0),
            0u);
}

TEST_F(HardeningTest, HstsOnlyOverHttps) {
  EXPECT_FALSE(get("/health").header("strict-transport-security").has_value());
  HttpRequest r;
  r.target = "/health";
  r.header("X-Forwarded-Proto", "https");  // from loopback: a trusted proxy by default
  EXPECT_TRUE(call(r).header("strict-transport-security").has_value());
}

// Every registered write route that is not public refuses a cookie without X-CSRF-Token (and one
// with a wrong token), before doing anything.
TEST_F(HardeningTest, CsrfRequiredOnEveryCookieWriteRoute) {
  Login admin = new_login("csrfadmin", "admin");
  Credential none = admin.cred;
  none.send_csrf = false;
  Credential wrong = admin.cred;
  wrong.csrf = std::string(64, 'f');
  int checked = 0;
  for (const auto& route : env().router().routes()) {
    const std::string& m = route->method;
    if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE") continue;
    const std::string& tag = route->options.auth;
    if (tag.empty() || tag == "public") continue;
    std::string target;
    for (size_t i = 0; i < route->pattern.size();) {
      if (route->pattern[i] == ':') {
        size_t end = route->pattern.find('/', i);
        if (end == std::string::npos) end = route->pattern.size();
        target += "csrf-probe";
        i = end;
      } else {
        target += route->pattern[i++];
      }
    }
    target += "?sessionId=csrf-probe";
    for (const Credential& c : {none, wrong}) {
      HttpResponse r = send(m, target, json::object(), c);
      EXPECT_EQ(r.status, 403) << m << " " << route->pattern
                               << " without a valid CSRF token: " << r.body;
      // Routes that take no cookie at all ("token": session tokens/master key only) refuse it
      // outright; every other one must refuse for the missing/wrong CSRF token.
      if (tag != "token" && tag != "master") {
        EXPECT_NE(r.body.find("csrf"), std::string::npos) << m << " " << route->pattern;
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 10);
  // The session is still alive (a refused write did nothing, not even log out).
  EXPECT_EQ(get("/api/v1/me", admin.cred).status, 200);
}

// Other spellings of a protected path or method never reach its data without the credential:
// the access decision belongs to the matched route, so these must 401 or not match at all.
TEST_F(HardeningTest, PathAndMethodTricksDoNotBypassAuth) {
  for (const std::string& target :
       {std::string("/api/v1/users"), std::string("/api/v1/users/"), std::string("/api/v1//users"),
        std::string("/api/v1/%75sers"), std::string("/API/V1/USERS"),
        std::string("/api/v1/./users"), std::string("/api/v1/x/../users"),
        std::string("/api/v1/users?sessionId=x"), std::string("/api/v1/users%00")}) {
    for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
      HttpRequest r;
      r.method = method;
      r.target = target;
      HttpResponse res = call(r);
      EXPECT_TRUE(res.status == 401 || res.status == 404 || res.status == 405 || res.status == 400)
          << method << " " << target << " → " << res.status << " " << res.body;
      EXPECT_EQ(res.body.find("@sec.test"), std::string::npos) << method << " " << target;
    }
  }
  HttpRequest override_get;
  override_get.method = "GET";
  override_get.target = "/api/v1/users";
  override_get.header("X-HTTP-Method-Override", "DELETE");
  EXPECT_EQ(call(override_get).status, 401);
}

// A session token sees only its own session in listings.
TEST_F(HardeningTest, TokenListingsAreScopedToTheTokensSession) {
  Login owner = new_login("lsowner");
  LinkedSession a = new_session(owner.cred, "lsa");
  LinkedSession b = new_session(owner.cred, "lsb");
  HttpResponse list = get("/api/v1/sessions", Credential::token(a.token));
  ASSERT_EQ(list.status, 200);
  auto j = list.json();
  ASSERT_TRUE(j.is_array()) << list.body;
  ASSERT_EQ(j.size(), 1u) << list.body;
  EXPECT_EQ(j[0].value("sessionId", ""), a.id);
  EXPECT_EQ(list.body.find(b.id), std::string::npos);
}

TEST_F(HardeningTest, UploadsAreServedWithSafeTypeAndDisposition) {
  Login owner = new_login("upl");
  LinkedSession s = new_session(owner.cred, "upl");
  auto upload = [&](const std::string& name, const std::string& type, const std::string& data) {
    Multipart m;
    m.field("sessionId", s.id).file("file", name, type, data);
    HttpRequest h;
    h.method = "POST";
    h.target = "/api/v1/media";
    h.body = m.finish();
    h.content_type = m.content_type();
    return call(h, Credential::token(s.token));
  };
  // A PDF named like a page: served as a download under a sanitised name.
  HttpResponse pdf = upload("evil\".html", "text/html", tiny_pdf());
  ASSERT_EQ(pdf.status, 201) << pdf.body;
  HttpResponse got =
      get("/api/v1/media/" + pdf.json().value("mediaId", ""), Credential::token(s.token));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.header("content-type").value_or(""), "application/pdf");
  const std::string cd = got.header("content-disposition").value_or("");
  EXPECT_EQ(cd.rfind("attachment", 0), 0u) << cd;
  EXPECT_EQ(cd.find("\"."), std::string::npos) << "quote not stripped: " << cd;
  EXPECT_EQ(got.header("x-content-type-options").value_or(""), "nosniff");
  EXPECT_EQ(got.body, tiny_pdf());
  // An image may be shown inline, with the sniffed type.
  HttpResponse png = upload("pic.txt", "text/plain", tiny_png());
  ASSERT_EQ(png.status, 201) << png.body;
  HttpResponse img =
      get("/api/v1/media/" + png.json().value("mediaId", ""), Credential::token(s.token));
  ASSERT_EQ(img.status, 200);
  EXPECT_EQ(img.header("content-type").value_or(""), "image/png");
  EXPECT_EQ(img.header("x-content-type-options").value_or(""), "nosniff");
}

// Reads WebSocket text frames (server frames are unmasked) until `ms` passed.
std::vector<std::string> read_ws_frames(int fd, int ms) {
  std::vector<std::string> out;
  std::string buf;
  timeval tv{0, 100 * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) break;
    if (n > 0) buf.append(chunk, static_cast<size_t>(n));
    for (;;) {
      if (buf.size() < 2) break;
      size_t len = static_cast<unsigned char>(buf[1]) & 0x7f;
      size_t hdr = 2;
      if (len == 126) {
        if (buf.size() < 4) break;
        len = (static_cast<size_t>(static_cast<unsigned char>(buf[2])) << 8) |
              static_cast<unsigned char>(buf[3]);
        hdr = 4;
      } else if (len == 127) {
        if (buf.size() < 10) break;
        len = 0;
        for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<unsigned char>(buf[i]);
        hdr = 10;
      }
      if (buf.size() < hdr + len) break;
      out.push_back(buf.substr(hdr, len));
      buf.erase(0, hdr + len);
    }
  }
  return out;
}

TEST_F(HardeningTest, NoSecretsInLogsActivitiesSystemLogOrLiveFeed) {
  Login admin = new_login("leakadmin", "admin");
  // An admin live-feed connection sees everything an admin may see (logs included).
  HttpResponse t = get("/api/v1/ws-auth", admin.cred);
  ASSERT_EQ(t.status, 200);
  int ws = connect_loopback(env().port());
  ASSERT_GE(ws, 0);
  send_all(ws,
           "GET /ws?token=" + t.json().value("wsToken", "") +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(ws, &c, 1, 0) == 1) head += c;
    ASSERT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  }

  // Things carrying secrets: a session (token, webhook secret), a message body, a password change,
  // a login, a rotated token, a webhook URL with credentials in it.
  Login owner = new_login("leakowner");
  LinkedSession s = new_session(owner.cred, "leak");
  const std::string body_text = "SECRET-BODY-" + unique("txt");
  const std::string password = "Leak-Password-" + unique("pw");
  HttpResponse sent =
      send("POST", "/api/v1/messages?sessionId=" + s.id,
           {{"to", "15550001111"}, {"type", "text"}, {"text", {{"body", body_text}}}},
           Credential::token(s.token));
  EXPECT_LT(sent.status, 500) << sent.body;
  ASSERT_EQ(
      send("PUT", "/api/v1/users/" + owner.email, {{"password", password}}, admin.cred).status,
      200);
  ASSERT_TRUE(login(owner.email, password).has_value());
  HttpResponse rot = send("POST", "/api/v1/sessions/" + s.id + "/token/rotate", nullptr,
                          Credential::token(s.token));
  ASSERT_EQ(rot.status, 200);
  const std::string rotated = rot.json().value("token", "");
  send("POST", "/api/send-message",
       {{"sessionId", s.id}, {"number", "15550001111"}, {"message", body_text}},
       Credential::token(rotated));

  std::vector<std::string> frames = read_ws_frames(ws, 1500);
  ::close(ws);
  EXPECT_FALSE(frames.empty()) << "the admin live feed saw nothing (cannot judge leaks)";

  std::string acts;
  ASSERT_TRUE(eventually([&] {
    acts = get("/api/v1/activities?limit=1000", admin.cred).body;
    return acts.find(s.id) != std::string::npos;
  }));
  const std::string syslog = get("/api/v1/logs/export", admin.cred).body;
  const std::string server_log = env().server_log();
  std::string feed;
  for (const auto& f : frames) feed += f + "\n";

  const std::vector<std::pair<std::string, std::string>> secrets = {
      {"session token", s.token},
      {"rotated token", rotated},
      {"webhook secret", s.webhook_secret},
      {"message body", body_text},
      {"password", password},
      {"master key", kMasterKey},
      {"login cookie", owner.cred.cookie},
      {"CSRF token", owner.cred.csrf},
  };
  for (const auto& [what, secret] : secrets) {
    if (secret.empty()) continue;
    EXPECT_EQ(acts.find(secret), std::string::npos) << what << " in the activity log";
    EXPECT_EQ(syslog.find(secret), std::string::npos) << what << " in the system log";
    EXPECT_EQ(server_log.find(secret), std::string::npos) << what << " in the server log";
    EXPECT_EQ(feed.find(secret), std::string::npos) << what << " in the live feed";
  }
}

// Message ids are not capabilities: a message of session B cannot be read, deleted or quoted
// through session A (each lookup is scoped to the session the caller may use).
TEST_F(HardeningTest, MessagesOfAnotherSessionAreInvisible) {
  Login owner = new_login("msgowner");
  Login other = new_login("msgother");
  LinkedSession a = new_session(owner.cred, "msga");
  LinkedSession b = new_session(other.cred, "msgb");
  ASSERT_TRUE(link_in_sandbox(a, Credential::token(a.token)));
  ASSERT_TRUE(link_in_sandbox(b, Credential::token(b.token)));
  HttpResponse sent =
      send("POST", "/api/v1/messages?sessionId=" + b.id,
           {{"to", "19990000001"}, {"type", "text"}, {"text", {{"body", "private to B"}}}},
           Credential::token(b.token));
  ASSERT_EQ(sent.status, 200) << sent.body;
  auto j = sent.json();
  const json item = j.is_array() ? j[0] : j;
  const std::string id = item.value("messageId", "");
  ASSERT_FALSE(id.empty()) << sent.body;
  EXPECT_EQ(get("/api/v1/messages/" + id + "?sessionId=" + b.id, Credential::token(b.token)).status,
            200);

  HttpResponse read =
      get("/api/v1/messages/" + id + "?sessionId=" + a.id, Credential::token(a.token));
  EXPECT_EQ(read.status, 404) << read.body;
  EXPECT_EQ(read.body.find("private to B"), std::string::npos);
  HttpResponse del =
      send("DELETE", "/api/v1/message",
           {{"sessionId", a.id}, {"messageId", id}, {"remoteJid", "19990000001@s.whatsapp.net"}},
           Credential::token(a.token));
  EXPECT_EQ(del.status, 404) << del.body;
  HttpResponse quoted = send(
      "POST", "/api/v1/messages?sessionId=" + a.id,
      {{"to", "19990000001"}, {"type", "text"}, {"text", {{"body", "quoting"}}}, {"quoted", id}},
      Credential::token(a.token));
  EXPECT_EQ(quoted.body.find("\"success\""), std::string::npos) << quoted.body;
  EXPECT_NE(quoted.body.find("not found"), std::string::npos) << quoted.body;
}

// The live feed filters by principal end to end: a session token's feed carries only its own
// session and never the admin-only `log` stream.
TEST_F(HardeningTest, LiveFeedOfASessionTokenSeesOnlyItsSession) {
  Login owner = new_login("feedowner");
  Login other = new_login("feedother");
  LinkedSession a = new_session(owner.cred, "feeda");
  HttpResponse t = get("/api/v1/ws-auth", Credential::token(a.token));
  ASSERT_EQ(t.status, 200);
  int ws = connect_loopback(env().port());
  ASSERT_GE(ws, 0);
  send_all(ws, "GET /ws?token=" + t.json().value("wsToken", "") +
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
                   "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n");
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && ::recv(ws, &c, 1, 0) == 1) head += c;
  ASSERT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  LinkedSession b = new_session(other.cred, "feedb");
  send("POST", "/api/v1/sessions/" + a.id + "/logout", nullptr, Credential::token(a.token));
  std::vector<std::string> frames = read_ws_frames(ws, 1500);
  ::close(ws);
  bool saw_own = false;
  for (const auto& f : frames) saw_own = saw_own || f.find(a.id) != std::string::npos;
  EXPECT_TRUE(saw_own) << "the token's feed never mentioned its own session";
  for (const auto& f : frames) {
    EXPECT_EQ(f.find(b.id), std::string::npos) << f;
    auto j = json::parse(f, nullptr, false);
    if (j.is_object()) {
      EXPECT_NE(j.value("type", ""), "log") << f;
    }
  }
}

// Tokens die with their session: when a session is deleted and someone else later creates a
// session with the same id, the old token must not open the new one.
TEST_F(HardeningTest, TokensDieWithTheirSessionAndNeverOpenAReusedId) {
  Login first = new_login("reuse1");
  Login second = new_login("reuse2");
  LinkedSession s = new_session(first.cred, "reuse");
  ASSERT_EQ(get("/api/v1/sessions/" + s.id, Credential::token(s.token)).status, 200);
  ASSERT_EQ(send("DELETE", "/api/v1/sessions/" + s.id, nullptr, first.cred).status, 200);
  const int after_delete = get("/api/v1/sessions", Credential::token(s.token)).status;
  EXPECT_TRUE(after_delete == 401 || after_delete == 403) << after_delete;
  HttpResponse again = send("POST", "/api/v1/sessions", {{"sessionId", s.id}}, second.cred);
  ASSERT_EQ(again.status, 201) << again.body;
  const int reused = get("/api/v1/sessions/" + s.id, Credential::token(s.token)).status;
  EXPECT_TRUE(reused == 401 || reused == 403)
      << "old token opens the re-created session: " << reused;
  EXPECT_EQ(get("/api/v1/sessions/" + s.id, first.cred).status, 403);
}

}  // namespace
}  // namespace gw::security_testing
