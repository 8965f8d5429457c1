// Security suite environment: the WHOLE gateway, exactly as `superlight serve` assembles it
// (install_builtin_routes + install_components from gateway/server_main.h), on a temp SQLite
// database, in sandbox mode (sessions really link against the in-process simulator), with a master
// key configured, behind a real HTTP server on a loopback port. Tests talk to it over sockets, so
// the server's own layers (body limits, multipart streaming, security headers, trusted-proxy
// handling, the /ws upgrade) are exercised too.
//
// The gateway components are process-wide singletons (gateway/components.h), so the server is
// built once per process by a gtest Environment and shared by every test; tests create their own
// users and sessions (unique names) instead of relying on a clean database.
// stderr (where spdlog writes) is redirected to a file so tests can assert that no secret ever
// reaches the server log.
//
// Ownership: the environment owns the io_context, server, router and metrics until process exit
// (deliberately leaked: components hold references to them). Threading: the io_context runs on
// one background thread (the network thread); test code only uses sockets and thread-safe
// repositories.
#pragma once

#include "core/net/net.h"  // first: fixes the GCC 12 + Boost 1.74 include order

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/random.h"
#include "gateway/components.h"
#include "gateway/config/config.h"
#include "gateway/http/router.h"
#include "gateway/http/server.h"
#include "gateway/metrics.h"
#include "gateway/server_main.h"
#if __has_include("gateway/docs/api_docs.h")
#include "gateway/docs/api_docs.h"
#define SL_SECURITY_HAS_API_DOCS 1
#endif
#include "storage/password.h"
#include "storage/storage.h"

namespace gw::security_testing {

inline constexpr const char* kMasterKey = "sec-suite-master-key-0123456789abcdef";
inline constexpr const char* kPassword = "correct horse battery staple";
inline constexpr const char* kWrongTokenValue =
    "slt_00000000000000000000000000000000000000000000000000000000deadbeef";

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client over a blocking loopback socket: one request per connection.

struct HttpResponse {
  int status = 0;  // 0 = no answer (connection failed / closed)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return std::nullopt;
  }
  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (k == name) out.push_back(v);
    return out;
  }
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::string content_type;  // defaults to application/json when a body is present
  std::vector<std::pair<std::string, std::string>> headers;

  HttpRequest& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

inline int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Parses "HTTP/1.1 200 OK\r\n…\r\n\r\nbody" (Content-Length, chunked, or until EOF).
inline HttpResponse parse_response(const std::string& raw) {
  HttpResponse r;
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.size() < 12) return r;
  r.status = std::atoi(raw.substr(9, 3).c_str());
  std::string head = raw.substr(0, end);
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line = head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    pos = next;
  }
  std::string rest = raw.substr(end + 4);
  auto te = r.header("transfer-encoding");
  if (te && lower(*te).find("chunked") != std::string::npos) {
    size_t p = 0;
    for (;;) {
      size_t eol = rest.find("\r\n", p);
      if (eol == std::string::npos) break;
      size_t len = std::strtoul(rest.substr(p, eol - p).c_str(), nullptr, 16);
      if (len == 0) break;
      r.body += rest.substr(eol + 2, len);
      p = eol + 2 + len + 2;
    }
  } else if (auto cl = r.header("content-length")) {
    r.body = rest.substr(0, std::strtoul(cl->c_str(), nullptr, 10));
  } else {
    r.body = rest;
  }
  return r;
}

// Sends raw bytes and reads until the server closes (Connection: close).
inline HttpResponse raw_exchange(uint16_t port, std::string_view raw) {
  int fd = connect_loopback(port);
  if (fd < 0) return {};
  send_all(fd, raw);
  std::string in;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return parse_response(in);
}

inline HttpResponse http_call(uint16_t port, const HttpRequest& req) {
  std::ostringstream out;
  out << req.method << ' ' << req.target << " HTTP/1.1\r\nHost: 127.0.0.1:" << port
      << "\r\nConnection: close\r\nUser-Agent: sl-security-suite\r\n";
  for (const auto& [k, v] : req.headers) out << k << ": " << v << "\r\n";
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
      req.method == "DELETE") {
    if (!req.body.empty())
      out << "Content-Type: " << (req.content_type.empty() ? "application/json" : req.content_type)
          << "\r\n";
    out << "Content-Length: " << req.body.size() << "\r\n";
  }
  out << "\r\n" << req.body;
  return raw_exchange(port, out.str());
}

// A multipart/form-data body with text fields and one file.
struct Multipart {
  std::string boundary = "----slsecurityboundary7MA4YWxk";
  std::string body;
  Multipart& field(const std::string& name, const std::string& value) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
            value + "\r\n";
    return *this;
  }
  Multipart& file(const std::string& name, const std::string& filename, const std::string& type,
                  const std::string& data) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
            "\"; filename=\"" + filename + "\"\r\nContent-Type: " + type + "\r\n\r\n" + data +
            "\r\n";
    return *this;
  }
  std::string finish() const { return body + "--" + boundary + "--\r\n"; }
  std::string content_type() const { return "multipart/form-data; boundary=" + boundary; }
};

// A 1x1 PNG (valid signature and IHDR: enough for the upload sniffer).
inline std::string tiny_png() {
  static const unsigned char k[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
      0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
      0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
      0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00,
      0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  return std::string(reinterpret_cast<const char*>(k), sizeof k);
}

// A minimal PDF (its "%PDF-" signature is what the sniffer accepts).
inline std::string tiny_pdf() { return "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"; }

// ---------------------------------------------------------------------------------------------
// Credentials a request can carry.

struct Credential {
  std::string cookie;  // sl.sid value
  std::string csrf;
  std::string bearer;
  std::string master_key;
  bool send_csrf = true;

  static Credential none() { return {}; }
  static Credential token(std::string t) {
    Credential c;
    c.bearer = std::move(t);
    return c;
  }
  static Credential master() {
    Credential c;
    c.master_key = kMasterKey;
    return c;
  }
  void apply(HttpRequest& r) const {
    if (!cookie.empty()) {
      r.header("Cookie", "sl.sid=" + cookie);
      if (send_csrf && !csrf.empty()) r.header("X-CSRF-Token", csrf);
    }
    if (!bearer.empty()) r.header("Authorization", "Bearer " + bearer);
    if (!master_key.empty()) r.header("x-master-key", master_key);
  }
};

// ---------------------------------------------------------------------------------------------

class SecurityEnvironment : public ::testing::Environment {
 public:
  static SecurityEnvironment& get() { return *instance_; }

  void SetUp() override {
    instance_ = this;
    dir_ = std::filesystem::temp_directory_path() / ("sl-security-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);

    // Everything the server logs goes to a file the tests can search for leaked secrets.
    log_path_ = dir_ / "server.log";
    int fd = ::open(log_path_.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    saved_stderr_ = ::dup(2);
    ::dup2(fd, 2);
    ::close(fd);

    std::map<std::string, std::string> env = {
        {"DATABASE_URL", "sqlite://" + (dir_ / "superlight.db").string()},
        {"DATA_DIR", dir_.string()},
        {"DASHBOARD_DIR", (dir_ / "no-dashboard").string()},
        {"MASTER_API_KEY", kMasterKey},
        {"SESSION_SECRET", "security-suite-session-secret-0123456789"},
        {"SANDBOX", "1"},
        {"HOST", "127.0.0.1"},
        {"MAX_SESSIONS", "500"},
        {"MAX_UPLOAD_MB", "1"},
        {"MAX_BODY_KB", "64"},
        {"RATE_LIMIT_PER_MINUTE", "0"},
        {"LOG_LEVEL", "debug"},
    };
    auto loaded = config::load(config::map_lookup(env));
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    config_ = new config::Config(std::move(*loaded));
    config_->port = 0;
    core::LogOptions lo;
    lo.level = config_->log_level;
    ASSERT_TRUE(core::init_logging(lo).ok());

    io_ = new net::io_context(1);
    metrics_ = new Metrics();
    router_ = new http::Router();
    http::ServerOptions so;
    so.host = config_->host;
    so.port = 0;
    so.body_limit = static_cast<size_t>(config_->max_body_kb) * 1024;
    so.upload_limit = config_->max_upload_mb * 1024 * 1024;
    so.header_timeout = std::chrono::seconds(config_->request_timeout_seconds);
    so.idle_timeout = std::chrono::seconds(config_->keep_alive_timeout_seconds);
    so.shutdown_grace = std::chrono::seconds(2);
    so.max_connections = static_cast<size_t>(config_->max_connections);
    so.upload_dir = config_->upload_dir();
    so.trust_proxy = config_->trust_proxy;
    so.https = config_->https;
    server_ = new http::Server(*io_, *router_, so, metrics_);
    ctx_ = new ServeContext(*config_, *io_, *router_, *server_, *metrics_);
    install_builtin_routes(*ctx_, started_);
#ifdef SL_SECURITY_HAS_API_DOCS
    docs::install_api_docs_routes(*router_, docs::default_api_docs_dir());  // as run_serve does
#endif
    auto st = install_components(*ctx_);
    ASSERT_TRUE(st.ok()) << st.to_string();
    ASSERT_TRUE(server_->listen().ok());
    started_ = true;
    port_ = server_->port();
    thread_ = std::thread([this] { io_->run(); });
  }

  void TearDown() override {
    if (!thread_.joinable()) return;
    net::post(*io_, [this] {
      server_->shutdown([this] {
        const auto& hooks = ctx_->shutdown_hooks();
        for (auto it = hooks.rbegin(); it != hooks.rend(); ++it) (*it)();
        io_->stop();
      });
    });
    thread_.join();
    if (saved_stderr_ >= 0) ::dup2(saved_stderr_, 2);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  uint16_t port() const { return port_; }
  const http::Router& router() const { return *router_; }
  const config::Config& config() const { return *config_; }
  const std::filesystem::path& dir() const { return dir_; }
  Services& services() { return *auth_components()->services; }
  storage::Storage& storage() { return services().storage(); }

  std::string server_log() const {
    std::ifstream in(log_path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  static inline SecurityEnvironment* instance_ = nullptr;
  std::filesystem::path dir_;
  std::filesystem::path log_path_;
  int saved_stderr_ = -1;
  config::Config* config_ = nullptr;
  net::io_context* io_ = nullptr;
  Metrics* metrics_ = nullptr;
  http::Router* router_ = nullptr;
  http::Server* server_ = nullptr;
  ServeContext* ctx_ = nullptr;
  bool started_ = false;
  uint16_t port_ = 0;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// Base fixture: request helpers, users, logins and sessions through the real API.

struct Login {
  std::string email;
  std::string user_id;
  Credential cred;  // cookie + csrf
  std::string set_cookie;
};

struct LinkedSession {
  std::string id;
  std::string token;
  std::string webhook_secret;
};

class SecurityTest : public ::testing::Test {
 protected:
  static SecurityEnvironment& env() { return SecurityEnvironment::get(); }

  static std::string unique(std::string_view prefix) {
    static std::atomic<int> n{0};
    return std::string(prefix) + std::to_string(::getpid() % 10000) + "x" + std::to_string(++n);
  }

  static HttpResponse call(HttpRequest req, const Credential& cred = Credential::none()) {
    cred.apply(req);
    return http_call(env().port(), req);
  }
  static HttpResponse get(const std::string& target, const Credential& cred = Credential::none()) {
    HttpRequest r;
    r.target = target;
    return call(std::move(r), cred);
  }
  static HttpResponse send(const std::string& method, const std::string& target,
                           const nlohmann::json& body,
                           const Credential& cred = Credential::none()) {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body.is_null() ? "" : body.dump();
    return call(std::move(r), cred);
  }

  // Creates a user straight in storage (cheap argon2id parameters; verification reads them from
  // the hash).
  static std::string make_user(const std::string& email, const std::string& role = "user",
                               const std::string& password = kPassword) {
    storage::User u;
    u.email = email;
    u.role = role;
    u.active = true;
    u.created_by = "security-suite";
    auto h = storage::hash_password(password, storage::PasswordCost::kMinimal);
    EXPECT_TRUE(h.ok());
    u.password_hash = *h;
    auto created = env().storage().users().create(u);
    EXPECT_TRUE(created.ok()) << created.status().to_string();
    return created.ok() ? created->id : "";
  }

  static std::optional<Login> login(const std::string& email,
                                    const std::string& password = kPassword,
                                    const std::string& previous_cookie = "",
                                    bool forwarded_https = false) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/admin/login";
    r.body = nlohmann::json{{"email", email}, {"password", password}}.dump();
    if (!previous_cookie.empty()) r.header("Cookie", "sl.sid=" + previous_cookie);
    if (forwarded_https) r.header("X-Forwarded-Proto", "https");
    HttpResponse res = http_call(env().port(), r);
    if (res.status != 200) return std::nullopt;
    auto set = res.header("set-cookie");
    if (!set || set->rfind("sl.sid=", 0) != 0) return std::nullopt;
    Login l;
    l.email = email;
    l.set_cookie = *set;
    l.cred.cookie = set->substr(7, set->find(';') - 7);
    l.cred.csrf = res.json().value("csrfToken", "");
    auto u = env().storage().users().find_by_email(email);
    if (u.ok() && *u) l.user_id = (*u)->id;
    return l;
  }

  // A new user with that role, logged in.
  static Login new_login(std::string_view prefix, const std::string& role = "user") {
    const std::string email = unique(prefix) + "@sec.test";
    make_user(email, role);
    auto l = login(email);
    EXPECT_TRUE(l.has_value()) << "login of " << email;
    return l.value_or(Login{});
  }

  // Creates a WhatsApp session through POST /api/v1/sessions with `cred` (owner = the user).
  static LinkedSession new_session(const Credential& cred, std::string_view prefix = "sec") {
    LinkedSession s;
    s.id = unique(prefix);
    HttpResponse r = send("POST", "/api/v1/sessions", {{"sessionId", s.id}}, cred);
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    if (j.is_object()) {
      s.token = j.value("token", "");
      s.webhook_secret = j.value("webhookSecret", "");
    }
    return s;
  }

  // Polls `pred` for up to `seconds`.
  static bool eventually(const std::function<bool()>& pred, int seconds = 10) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  // Links a session through the sandbox (waits for its QR first).
  static bool link_in_sandbox(const LinkedSession& s, const Credential& cred) {
    HttpResponse last;
    bool ok = eventually(
        [&] {
          last = send("POST", "/api/v1/sessions/" + s.id + "/sandbox/scan", nlohmann::json(), cred);
          return last.status == 200;
        },
        20);
    EXPECT_TRUE(ok) << last.status << " " << last.body;
    if (!ok) return false;
    return eventually(
        [&] {
          auto j = get("/api/v1/sessions/" + s.id, cred).json();
          return j.is_object() && j.value("status", "") == "CONNECTED";
        },
        20);
  }
};

}  // namespace gw::security_testing
