// Shared fixture for the auth/accounts/live tests: a real, migrated SQLite database in a fresh
// temp dir, Services whose "network thread" is the test thread (a queue the test pumps), the
// AuthService + middleware + account routes on a Router, and helpers that dispatch hand-made
// Requests and wait for the answer. No sockets.
//
// Threading: the test thread plays the network thread; the Services pool runs 2 threads.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/random.h"
#include "gateway/api/account_routes.h"
#include "gateway/auth/activity.h"
#include "gateway/auth/auth.h"
#include "gateway/http/router.h"
#include "gateway/live/hub.h"
#include "gateway/live/live_feed.h"
#include "gateway/live/system_log.h"
#include "gateway/services.h"
#include "storage/password.h"
#include "storage/storage.h"

namespace gw::testing {

inline constexpr const char* kKeyHex =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
inline constexpr const char* kMasterKey = "master-key-for-tests-0123456789";
inline constexpr const char* kClientIp = "203.0.113.9";

// The test thread's stand-in for the network thread.
class TestLoop {
 public:
  void post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }
  // Runs posted work until `done()` (or a 20 s timeout: returns false).
  bool run_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        if (!cv_.wait_until(lock, deadline, [&] { return !queue_.empty(); })) return done();
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
    return true;
  }
  // Runs whatever is queued right now.
  void drain() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard lock(mu_);
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

struct Sent {
  http::Response response;
  nlohmann::json json;
};

// A logged-in dashboard browser: its cookie and CSRF token.
struct Browser {
  std::string cookie;
  std::string csrf;
};

struct Call {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::optional<Browser> browser;  // sends the cookie (+ CSRF unless omit_csrf)
  bool omit_csrf = false;
  std::optional<std::string> bearer;
  std::optional<std::string> master_key;
  std::optional<std::string> csrf;  // explicit X-CSRF-Token
  bool secure = false;
  std::string ip = kClientIp;
  std::vector<std::pair<std::string, std::string>> headers;
};

class AuthFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("sl-auth-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    storage::StorageOptions o;
    o.database.url = "sqlite://" + (dir_ / "test.db").string();
    o.encryption_key_hex = kKeyHex;
    o.key_file = dir_ / "secret.key";
    auto s = storage::Storage::open(o, clock_, core::SecureRandom::instance());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    services_ = std::make_unique<Services>(
        std::move(*s), [this](std::function<void()> fn) { loop_.post(std::move(fn)); }, clock_,
        core::SecureRandom::instance());
    build(default_options());
  }

  void TearDown() override {
    if (services_) services_->stop();
    loop_.drain();
    feed_.reset();
    deps_.reset();
    router_.reset();
    system_log_.reset();
    hub_.reset();
    auth_.reset();
    activity_.reset();
    services_.reset();
    std::filesystem::remove_all(dir_);
  }

  static auth::AuthOptions default_options() {
    auth::AuthOptions o;
    o.password_cost = storage::PasswordCost::kMinimal;
    o.master_api_key = kMasterKey;
    return o;
  }

  // (Re)builds the auth core, hub, system log and a fresh router with the account routes.
  void build(auth::AuthOptions options) {
    feed_.reset();
    deps_.reset();
    router_.reset();
    auth_.reset();
    activity_ = std::make_unique<auth::ActivityLog>(*services_);
    auth_ = std::make_unique<auth::AuthService>(*services_, *activity_, std::move(options));
    hub_ = std::make_unique<live::LiveHub>();
    auth_->add_revocation_listener([this](const std::string& id) { hub_->disconnect_user(id); });
    system_log_ = std::make_unique<live::SystemLog>(dir_ / "system.log", clock_,
                                                    core::SecureRandom::instance());
    router_ = std::make_unique<http::Router>();
    router_->use(auth_->middleware());
    deps_ = std::make_unique<api::AccountDeps>(
        api::AccountDeps{*services_, *auth_, *activity_, *hub_, *system_log_});
    api::install_account_routes(*router_, *deps_);
    feed_ = std::make_unique<live::LiveFeed>(*auth_, *hub_, clock_);
    install_probe_routes();
  }

  // Routes standing in for the sessions/messages helper's, to exercise the session-scoped tags.
  void install_probe_routes() {
    auto ok = http::sync([](http::Request& req) {
      const auth::Principal& p = auth::principal_of(req);
      return http::Response::json(200, {{"principal", p.describe()}});
    });
    router_->post("/api/v1/probe/sessions/:sessionId/act", ok,
                  http::RouteOptions().auth_tag("token").seed());
    router_->del("/api/v1/probe/sessions/:id", ok,
                 http::RouteOptions().auth_tag("token-or-login").seed());
    router_->post("/api/v1/probe/messages", ok,
                  http::RouteOptions().auth_tag("session-access").seed());
    router_->get("/api/v1/probe/master", ok, http::RouteOptions().auth_tag("master"));
    router_->get("/api/v1/probe/optional", ok, http::RouteOptions().auth_tag("optional"));
    router_->get("/api/v1/probe/typo", ok, http::RouteOptions().auth_tag("logn"));
  }

  // Dispatches and waits for the response.
  Sent call(const Call& c) {
    auto req = std::make_shared<http::Request>();
    req->id = ++next_request_id_;
    req->method = c.method;
    req->set_target(c.target);
    req->body = c.body;
    req->remote_address = c.ip;
    req->peer_address = c.ip;
    req->secure = c.secure;
    if (!c.body.empty()) req->headers.add("Content-Type", "application/json");
    req->headers.add("User-Agent", "gtest/1.0");
    if (c.browser) {
      req->headers.add("Cookie", "sl.sid=" + c.browser->cookie);
      if (!c.omit_csrf && !c.csrf) req->headers.add("X-CSRF-Token", c.browser->csrf);
    }
    if (c.csrf) req->headers.add("X-CSRF-Token", *c.csrf);
    if (c.bearer) req->headers.add("Authorization", "Bearer " + *c.bearer);
    if (c.master_key) req->headers.add("x-master-key", *c.master_key);
    for (const auto& [k, v] : c.headers) req->headers.add(k, v);
    std::optional<http::Response> out;
    router_->dispatch(req, http::Responder([&](http::Response r) { out = std::move(r); }));
    EXPECT_TRUE(loop_.run_until([&] { return out.has_value(); })) << c.method << " " << c.target;
    Sent s;
    if (!out) return s;
    s.response = std::move(*out);
    s.json = nlohmann::json::parse(s.response.body, nullptr, false);
    return s;
  }
  Sent get(const std::string& target, std::optional<Browser> b = std::nullopt) {
    Call c;
    c.target = target;
    c.browser = std::move(b);
    return call(c);
  }
  Sent send(const std::string& method, const std::string& target, const nlohmann::json& body,
            std::optional<Browser> b = std::nullopt) {
    Call c;
    c.method = method;
    c.target = target;
    c.body = body.is_null() ? "" : body.dump();
    c.browser = std::move(b);
    return call(c);
  }

  storage::User make_user(const std::string& email, const std::string& password,
                          const std::string& role = "user", bool active = true) {
    storage::User u;
    u.email = email;
    u.role = role;
    u.active = active;
    u.created_by = "test";
    auto h = storage::hash_password(password, storage::PasswordCost::kMinimal);
    EXPECT_TRUE(h.ok());
    u.password_hash = *h;
    auto created = services_->storage().users().create(u);
    EXPECT_TRUE(created.ok()) << created.status().to_string();
    return *created;
  }

  std::optional<Browser> login(const std::string& email, const std::string& password,
                               std::optional<std::string> previous = std::nullopt) {
    Call c;
    c.method = "POST";
    c.target = "/admin/login";
    c.body = nlohmann::json{{"email", email}, {"password", password}}.dump();
    if (previous) c.headers.push_back({"Cookie", "sl.sid=" + *previous});
    Sent s = call(c);
    if (s.response.status != 200) return std::nullopt;
    return browser_from(s);
  }

  static std::optional<Browser> browser_from(const Sent& s) {
    auto set = s.response.headers.get("Set-Cookie");
    if (!set) return std::nullopt;
    std::string v(*set);
    auto start = v.find("sl.sid=");
    if (start != 0) return std::nullopt;
    auto end = v.find(';');
    Browser b;
    b.cookie = v.substr(7, end - 7);
    b.csrf = s.json.value("csrfToken", "");
    return b;
  }

  // Creates a WhatsApp session row (owned by `owner_id`) and returns its bearer token.
  std::string make_session(const std::string& id, std::optional<std::string> owner_id) {
    storage::WaSession s;
    s.id = id;
    s.owner_id = std::move(owner_id);
    auto created = services_->storage().wa_sessions().create(s);
    EXPECT_TRUE(created.ok()) << created.status().to_string();
    auto t = services_->storage().tokens().issue_session_token(id);
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    return t.ok() ? t->token : "";
  }

  // Polls `pred` (pumping the loop between tries) for up to 10 s.
  bool eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      loop_.drain();
      if (pred()) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Activity rows (newest first) once at least `at_least` exist (writes are asynchronous).
  std::vector<storage::ActivityEntry> activities(size_t at_least, std::string_view action = "") {
    std::vector<storage::ActivityEntry> out;
    EXPECT_TRUE(eventually([&] {
      storage::ActivityQuery q;
      if (!action.empty()) q.action = std::string(action);
      q.limit = 1000;
      auto r = services_->storage().activity().query(q);
      if (r.ok()) out = *r;
      return out.size() >= at_least;
    })) << "waiting for "
        << at_least << " activity rows " << action;
    return out;
  }

  std::filesystem::path dir_;
  core::FakeClock clock_;
  TestLoop loop_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<auth::ActivityLog> activity_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<live::LiveHub> hub_;
  std::unique_ptr<live::SystemLog> system_log_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<api::AccountDeps> deps_;
  std::unique_ptr<live::LiveFeed> feed_;
  uint64_t next_request_id_ = 0;
};

// A WebSocket stand-in that records what the hub sends.
class FakeWs : public http::WsConnection {
 public:
  explicit FakeWs(uint64_t id) : id_(id) {}
  bool send_text(std::string message) override {
    if (!open_) return false;
    if (stall_) {
      queued_ += message.size();
      return true;
    }
    sent.push_back(std::move(message));
    return true;
  }
  void close(uint16_t code, std::string reason) override {
    if (!open_) return;
    open_ = false;
    close_code = code;
    close_reason = std::move(reason);
    if (on_close_) on_close_();
  }
  void on_message(std::function<void(std::string, bool)>) override {}
  void on_close(std::function<void()> fn) override { on_close_ = std::move(fn); }
  uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return addr_; }
  bool is_open() const override { return open_; }
  size_t queued_bytes() const override { return queued_; }

  void stall() { stall_ = true; }
  std::vector<nlohmann::json> messages(std::string_view type = "") const {
    std::vector<nlohmann::json> out;
    for (const auto& m : sent) {
      auto j = nlohmann::json::parse(m);
      if (type.empty() || j.value("type", "") == type) out.push_back(j);
    }
    return out;
  }

  std::vector<std::string> sent;
  std::optional<uint16_t> close_code;
  std::string close_reason;

 private:
  uint64_t id_;
  std::string addr_ = "127.0.0.1";
  bool open_ = true;
  bool stall_ = false;
  size_t queued_ = 0;
  std::function<void()> on_close_;
};

}  // namespace gw::testing
