// The groups and contact-check routes end to end through the in-process sandbox simulator:
// sessions are created by the SessionManager, linked by the sandbox (as POST …/sandbox/scan
// does), and the routes talk to the simulator through each session's wa::Client. Covers the
// group lifecycle (create, list, info, add/promote/demote/remove, leave), the contact check
// with existing and unknown numbers, input validation, and access control (another user's
// session, another session's token, anonymous, a session that is not connected).
//
// Threading: the test thread runs the io_context (the network thread); SQL runs on the
// Services pool and comes back through asio::post.
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>  // before asio on GCC 12

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/activity.h"
#include "gateway/auth/auth.h"
#include "gateway/http/router.h"
#include "gateway/live/hub.h"
#include "gateway/services.h"
#include "gateway/sessions/sandbox.h"
#include "gateway/sessions/session_manager.h"
#include "gateway/webhooks/publisher.h"
#include "gateway/webhooks/url_policy.h"
#include "gateway/webhooks/webhook_settings.h"
#include "storage/password.h"
#include "storage/storage.h"
#include "storage/webhook_queries.h"

namespace gw {
namespace {

constexpr const char* kMasterKey = "master-key-for-groups-tests-0123456789";

struct Sent {
  int status = 0;
  nlohmann::json json;
};

struct Who {
  std::optional<std::string> bearer;
  bool master = true;
  static Who master_key() { return {}; }
  static Who token(std::string t) { return {std::move(t), false}; }
  static Who anonymous() { return {std::nullopt, false}; }
};

class GroupsRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("sl-groups-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    core::Clock& clock = core::SystemClock::instance();
    core::Random& random = core::SecureRandom::instance();
    storage::StorageOptions o;
    o.database.url = "sqlite://" + (dir_ / "test.db").string();
    o.encryption_key_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    o.key_file = dir_ / "secret.key";
    auto s = storage::Storage::open(o, clock, random);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    services_ = std::make_unique<Services>(
        std::move(*s), [this](std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); },
        clock, random);
    activity_ = std::make_unique<auth::ActivityLog>(*services_);
    auth::AuthOptions ao;
    ao.password_cost = storage::PasswordCost::kMinimal;
    ao.master_api_key = kMasterKey;
    auth_ = std::make_unique<auth::AuthService>(*services_, *activity_, ao);
    hub_ = std::make_unique<live::LiveHub>();
    policy_ = std::make_unique<UrlPolicy>();
    settings_ = std::make_unique<webhooks::WebhookSettings>(
        services_->storage().wa_sessions(), *policy_, random, webhooks::WebhookSettings::Options{});
    queries_ = std::make_unique<storage::WebhookQueries>(services_->storage().db(), clock);
    publisher_ = std::make_unique<webhooks::WebhookPublisher>(
        services_->storage().db(), services_->storage().webhooks(), *settings_);
    auto sb = sessions::Sandbox::start(io_, dir_ / "sim", true, clock, random);
    ASSERT_TRUE(sb.ok()) << sb.status().to_string();
    sandbox_ = std::move(*sb);
    sessions::SessionManager::Options mo;
    mo.endpoint = sandbox_->endpoint();
    mo.device.os = "Super Light tests";
    manager_ = std::make_unique<sessions::SessionManager>(io_, *services_, *publisher_, *settings_,
                                                          hub_.get(), mo);
    ASSERT_TRUE(manager_->start().ok());
    router_ = std::make_unique<http::Router>();
    router_->use(auth_->middleware());
    deps_ = std::make_unique<api::MessagingDeps>(
        api::MessagingDeps{*services_, *auth_, *activity_, *hub_, *manager_, *settings_, *queries_,
                           sandbox_.get(), true, nullptr});
    api::install_groups_routes(*router_, *deps_);
    api::install_contacts_routes(*router_, *deps_);
    api::install_media_routes(*router_, *deps_, dir_ / "media");
  }

  void TearDown() override {
    if (manager_) manager_->stop();
    if (sandbox_) sandbox_->stop();
    run_until([] { return false; }, std::chrono::milliseconds(100));
    if (services_) services_->stop();
    io_.poll();
    deps_.reset();
    router_.reset();
    manager_.reset();
    sandbox_.reset();
    publisher_.reset();
    queries_.reset();
    settings_.reset();
    auth_.reset();
    activity_.reset();
    hub_.reset();
    services_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs the network thread until pred() holds (false after `timeout`).
  bool run_until(const std::function<bool()>& pred,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Creates the session, scans its QR in the sandbox and waits for CONNECTED. Returns its token.
  std::string link(const std::string& id, std::optional<std::string> owner = std::nullopt,
                   bool scan = true) {
    std::optional<core::Result<sessions::SessionManager::Created>> created;
    manager_->create(id, owner, owner ? "owner@example.com" : "system",
                     [&](auto r) { created = std::move(r); });
    EXPECT_TRUE(run_until([&] { return created.has_value(); }));
    if (!created || !created->ok()) {
      ADD_FAILURE() << "create " << id;
      return "";
    }
    const std::string token = (*created)->token;
    if (!scan) return token;
    EXPECT_TRUE(run_until([&] {
      auto s = manager_->find(id);
      return s && !s->qr.empty();
    })) << "QR for "
        << id;
    std::optional<core::Result<std::string>> linked;
    sandbox_->link(sessions::Sandbox::phone_for(id), manager_->find(id)->qr,
                   [&](core::Result<std::string> r) { linked = std::move(r); });
    EXPECT_TRUE(run_until([&] { return linked.has_value(); }));
    EXPECT_TRUE(linked && linked->ok()) << (linked ? linked->status().to_string() : "");
    EXPECT_TRUE(run_until([&] {
      auto s = manager_->find(id);
      return s && s->state == sessions::State::kConnected;
    })) << id
        << " never connected";
    return token;
  }

  Sent call(const std::string& method, const std::string& target,
            const nlohmann::json& body = nullptr, const Who& who = Who::master_key(),
            std::shared_ptr<http::Form> form = nullptr) {
    auto req = std::make_shared<http::Request>();
    req->form = std::move(form);
    req->id = ++next_id_;
    req->method = method;
    req->set_target(target);
    if (!body.is_null()) {
      req->body = body.dump();
      req->headers.add("Content-Type", "application/json");
    }
    req->remote_address = "203.0.113.7";
    req->peer_address = "203.0.113.7";
    if (who.master) req->headers.add("x-master-key", kMasterKey);
    if (who.bearer) req->headers.add("Authorization", "Bearer " + *who.bearer);
    std::optional<http::Response> out;
    router_->dispatch(req, http::Responder([&](http::Response r) { out = std::move(r); }));
    EXPECT_TRUE(run_until([&] { return out.has_value(); })) << method << " " << target;
    Sent s;
    if (!out) return s;
    s.status = out->status;
    s.json = nlohmann::json::parse(out->body, nullptr, false);
    return s;
  }

  static std::string pn(const std::string& phone) { return phone + "@s.whatsapp.net"; }

  static const nlohmann::json* participant(const nlohmann::json& group, const std::string& jid) {
    for (const auto& p : group["participants"]) {
      if (p["jid"] == jid) return &p;
    }
    return nullptr;
  }

  std::vector<storage::ActivityEntry> activities(const std::string& action, size_t at_least) {
    std::vector<storage::ActivityEntry> out;
    run_until([&] {
      storage::ActivityQuery q;
      q.action = action;
      q.limit = 100;
      auto r = services_->storage().activity().query(q);
      if (r.ok()) out = *r;
      return out.size() >= at_least;
    });
    return out;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::filesystem::path dir_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<auth::ActivityLog> activity_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<live::LiveHub> hub_;
  std::unique_ptr<UrlPolicy> policy_;
  std::unique_ptr<webhooks::WebhookSettings> settings_;
  std::unique_ptr<storage::WebhookQueries> queries_;
  std::unique_ptr<webhooks::WebhookPublisher> publisher_;
  std::unique_ptr<sessions::Sandbox> sandbox_;
  std::unique_ptr<sessions::SessionManager> manager_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<api::MessagingDeps> deps_;
  uint64_t next_id_ = 0;
};

TEST_F(GroupsRoutesTest, GroupLifecycle) {
  link("alice");
  link("bob");
  const std::string alice = pn(sessions::Sandbox::phone_for("alice"));
  const std::string bob = pn(sessions::Sandbox::phone_for("bob"));
  const std::string echo = pn(std::string(sessions::kEchoPhone));

  // Create with the echo contact (given as "+digits").
  Sent created =
      call("POST", "/api/v1/groups?sessionId=alice",
           {{"subject", "Team chat"}, {"participants", {"+" + std::string(sessions::kEchoPhone)}}});
  ASSERT_EQ(created.status, 201) << created.json.dump();
  EXPECT_EQ(created.json["status"], "success");
  const nlohmann::json group = created.json["group"];
  const std::string jid = group["jid"];
  ASSERT_GT(jid.size(), 5u);
  EXPECT_EQ(jid.substr(jid.size() - 5), "@g.us");
  EXPECT_EQ(group["subject"], "Team chat");
  EXPECT_EQ(group["owner"], alice);
  EXPECT_TRUE(group["creation"].is_string());
  ASSERT_NE(participant(group, alice), nullptr) << group.dump();
  EXPECT_EQ((*participant(group, alice))["admin"], "superadmin");
  ASSERT_NE(participant(group, echo), nullptr) << group.dump();
  EXPECT_TRUE((*participant(group, echo))["admin"].is_null());

  // List.
  Sent list = call("GET", "/api/v1/groups?sessionId=alice");
  ASSERT_EQ(list.status, 200) << list.json.dump();
  ASSERT_EQ(list.json["groups"].size(), 1u);
  EXPECT_EQ(list.json["groups"][0]["jid"], jid);
  EXPECT_EQ(list.json["groups"][0]["participants"].size(), 2u);
  // bob is in no group yet.
  Sent bob_list = call("GET", "/api/v1/groups?sessionId=bob");
  ASSERT_EQ(bob_list.status, 200);
  EXPECT_TRUE(bob_list.json["groups"].empty());

  // Info, by full JID and by bare id.
  Sent info = call("GET", "/api/v1/groups/" + jid + "?sessionId=alice");
  ASSERT_EQ(info.status, 200) << info.json.dump();
  EXPECT_EQ(info.json["group"]["subject"], "Team chat");
  const std::string bare = jid.substr(0, jid.size() - 5);
  EXPECT_EQ(call("GET", "/api/v1/groups/" + bare + "?sessionId=alice").json["group"]["jid"], jid);

  // Add bob, then an unknown number and an existing member in one request.
  Sent add = call("POST", "/api/v1/groups/" + jid + "/participants?sessionId=alice",
                  {{"action", "add"}, {"participants", {sessions::Sandbox::phone_for("bob")}}});
  ASSERT_EQ(add.status, 200) << add.json.dump();
  ASSERT_EQ(add.json["results"].size(), 1u);
  EXPECT_EQ(add.json["results"][0]["status"], 200);
  Sent add2 = call("POST", "/api/v1/groups/" + jid + "/participants?sessionId=alice",
                   {{"action", "add"}, {"participants", {"15550009999", bob}}});
  ASSERT_EQ(add2.status, 200) << add2.json.dump();
  ASSERT_EQ(add2.json["results"].size(), 2u);
  EXPECT_NE(add2.json["results"][0]["status"], 200) << "unknown number";
  EXPECT_EQ(add2.json["results"][1]["status"], 409) << "already a member";
  info = call("GET", "/api/v1/groups/" + jid + "?sessionId=alice");
  ASSERT_EQ(info.json["group"]["participants"].size(), 3u) << info.json.dump();
  ASSERT_NE(participant(info.json["group"], bob), nullptr);
  EXPECT_TRUE((*participant(info.json["group"], bob))["admin"].is_null());
  // bob now sees the group.
  EXPECT_EQ(call("GET", "/api/v1/groups?sessionId=bob").json["groups"].size(), 1u);

  // Promote, demote.
  Sent promote = call("POST", "/api/v1/groups/" + jid + "/participants?sessionId=alice",
                      {{"action", "promote"}, {"participants", {bob}}});
  ASSERT_EQ(promote.status, 200) << promote.json.dump();
  EXPECT_EQ(promote.json["results"][0]["status"], 200);
  info = call("GET", "/api/v1/groups/" + jid + "?sessionId=alice");
  EXPECT_EQ((*participant(info.json["group"], bob))["admin"], "admin");
  Sent demote = call("POST", "/api/v1/groups/" + jid + "/participants?sessionId=alice",
                     {{"action", "demote"}, {"participants", {bob}}});
  ASSERT_EQ(demote.status, 200);
  info = call("GET", "/api/v1/groups/" + jid + "?sessionId=alice");
  EXPECT_TRUE((*participant(info.json["group"], bob))["admin"].is_null());

  // A non-admin member cannot change participants: WhatsApp's 403 becomes ours.
  Sent by_bob = call("POST", "/api/v1/groups/" + jid + "/participants?sessionId=bob",
                     {{"action", "remove"}, {"participants", {echo}}});
  EXPECT_EQ(by_bob.status, 403) << by_bob.json.dump();

  // Remove.
  Sent remove = call("POST", "/api/v1/groups/" + jid + "/participants?sessionId=alice",
                     {{"action", "remove"}, {"participants", {bob}}});
  ASSERT_EQ(remove.status, 200);
  EXPECT_EQ(remove.json["results"][0]["status"], 200);
  info = call("GET", "/api/v1/groups/" + jid + "?sessionId=alice");
  EXPECT_EQ(info.json["group"]["participants"].size(), 2u);
  EXPECT_EQ(participant(info.json["group"], bob), nullptr);

  // Leave: the group disappears from the list and its info is refused.
  Sent leave = call("POST", "/api/v1/groups/" + jid + "/leave?sessionId=alice");
  ASSERT_EQ(leave.status, 200) << leave.json.dump();
  EXPECT_EQ(leave.json["message"], "Left group " + jid);
  EXPECT_TRUE(call("GET", "/api/v1/groups?sessionId=alice").json["groups"].empty());
  EXPECT_EQ(call("GET", "/api/v1/groups/" + jid + "?sessionId=alice").status, 403);
  // An unknown group.
  Sent unknown = call("GET", "/api/v1/groups/120363999999999999@g.us?sessionId=alice");
  EXPECT_EQ(unknown.status, 404) << unknown.json.dump();
  EXPECT_EQ(unknown.json["status"], "error");

  // Activities: one per change, with counts and no subject.
  auto creates = activities("create", 1);
  ASSERT_FALSE(creates.empty());
  bool found = false;
  for (const auto& a : creates) {
    if (a.resource_id && *a.resource_id == jid) {
      found = true;
      EXPECT_EQ(a.details_json.value_or("").find("Team chat"), std::string::npos);
      EXPECT_EQ(a.resource_type, std::optional<std::string>("group"));
    }
  }
  EXPECT_TRUE(found);
  EXPECT_GE(activities("participants_add", 2).size(), 2u);
  EXPECT_GE(activities("leave", 1).size(), 1u);
}

TEST_F(GroupsRoutesTest, GroupInputValidation) {
  link("alice");
  const std::string base = "/api/v1/groups";
  auto bad = [&](const std::string& method, const std::string& target, const nlohmann::json& b) {
    Sent s = call(method, target, b);
    EXPECT_EQ(s.status, 400) << method << " " << target << " " << b.dump() << " → "
                             << s.json.dump();
    EXPECT_EQ(s.json["status"], "error");
  };
  bad("GET", base, nullptr);  // no sessionId
  bad("POST", base + "?sessionId=alice", {{"participants", nlohmann::json::array()}});
  bad("POST", base + "?sessionId=alice", {{"subject", "   "}, {"participants", {}}});
  bad("POST", base + "?sessionId=alice", {{"subject", std::string(101, 'a')}});
  bad("POST", base + "?sessionId=alice", {{"subject", "x"}, {"participants", "15551234567"}});
  bad("POST", base + "?sessionId=alice", {{"subject", "x"}, {"participants", {"abc"}}});
  bad("POST", base + "?sessionId=alice", {{"subject", "x"}, {"participants", {1555123}}});
  bad("POST", base + "?sessionId=alice",
      {{"subject", "x"}, {"participants", {"1555@evil.example"}}});
  bad("POST", base + "?sessionId=alice", nlohmann::json::array());
  bad("GET", base + "/not-a-group?sessionId=alice", nullptr);
  bad("GET", base + "/..%2F..%2Fetc?sessionId=alice", nullptr);
  bad("POST", base + "/120363000000000001@g.us/participants?sessionId=alice",
      {{"action", "kick"}, {"participants", {"15551234567"}}});
  bad("POST", base + "/120363000000000001@g.us/participants?sessionId=alice",
      {{"action", "add"}, {"participants", nlohmann::json::array()}});
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 257; ++i) many.push_back("1555" + std::to_string(1000000 + i));
  bad("POST", base + "/120363000000000001@g.us/participants?sessionId=alice",
      {{"action", "add"}, {"participants", many}});
}

TEST_F(GroupsRoutesTest, ContactCheck) {
  link("alice");
  link("bob");
  const std::string echo(sessions::kEchoPhone);
  const std::string bob_phone = sessions::Sandbox::phone_for("bob");
  // "+<echo>" percent-encoded, a formatted number, and one nobody has.
  Sent s = call("GET", "/api/v1/contacts/check?sessionId=alice&numbers=%2B" + echo + "," +
                           bob_phone + ",%2B1%20555%20000%200000");
  ASSERT_EQ(s.status, 200) << s.json.dump();
  EXPECT_EQ(s.json["status"], "success");
  const auto& c = s.json["contacts"];
  ASSERT_EQ(c.size(), 3u) << s.json.dump();
  EXPECT_EQ(c[0]["input"], "+" + echo);
  EXPECT_EQ(c[0]["number"], echo);
  EXPECT_EQ(c[0]["exists"], true);
  EXPECT_EQ(c[0]["jid"], echo + "@s.whatsapp.net");
  ASSERT_TRUE(c[0]["lid"].is_string()) << s.json.dump();
  EXPECT_NE(c[0]["lid"].get<std::string>().find("@lid"), std::string::npos);
  EXPECT_EQ(c[1]["exists"], true);
  EXPECT_EQ(c[1]["jid"], bob_phone + "@s.whatsapp.net");
  EXPECT_EQ(c[2]["input"], "+1 555 000 0000");
  EXPECT_EQ(c[2]["number"], "15550000000");
  EXPECT_EQ(c[2]["exists"], false);
  EXPECT_TRUE(c[2]["jid"].is_null());
  EXPECT_TRUE(c[2]["lid"].is_null());

  // Duplicates are answered per input.
  Sent dup = call("GET", "/api/v1/contacts/check?sessionId=alice&numbers=" + echo + "," + echo);
  ASSERT_EQ(dup.status, 200);
  EXPECT_EQ(dup.json["contacts"].size(), 2u);

  auto bad = [&](const std::string& q) {
    Sent r = call("GET", "/api/v1/contacts/check?sessionId=alice" + q);
    EXPECT_EQ(r.status, 400) << q << " → " << r.json.dump();
    EXPECT_EQ(r.json["status"], "error");
  };
  bad("");
  bad("&numbers=");
  bad("&numbers=,,");
  bad("&numbers=abc");
  bad("&numbers=15551234567,12");
  bad("&numbers=15551234567@s.whatsapp.net");
  std::string many;
  for (int i = 0; i < 51; ++i)
    many += (i ? "," : "") + std::string("1555") + std::to_string(1000000 + i);
  bad("&numbers=" + many);
  EXPECT_EQ(call("GET", "/api/v1/contacts/check?numbers=15551234567").status, 400);
}

TEST_F(GroupsRoutesTest, AccessControl) {
  // alice belongs to user u1; bob is a system session with its own token.
  auto hash = storage::hash_password("password-123", storage::PasswordCost::kMinimal);
  ASSERT_TRUE(hash.ok());
  auto u1 = services_->storage().users().create(
      storage::User{.email = "u1@example.com", .password_hash = *hash, .role = "user"});
  ASSERT_TRUE(u1.ok()) << u1.status().to_string();
  auto u2 = services_->storage().users().create(
      storage::User{.email = "u2@example.com", .password_hash = *hash, .role = "user"});
  ASSERT_TRUE(u2.ok());
  auto key1 = services_->storage().tokens().issue_api_key(u1->id, "k1");
  auto key2 = services_->storage().tokens().issue_api_key(u2->id, "k2");
  ASSERT_TRUE(key1.ok() && key2.ok());
  const std::string alice_token = link("alice", u1->id);
  const std::string bob_token = link("bob");
  const std::string idle_token = link("idle", std::nullopt, /*scan=*/false);

  const std::vector<std::string> targets = {
      "/api/v1/groups?sessionId=alice",
      "/api/v1/contacts/check?sessionId=alice&numbers=15551234567",
  };
  for (const auto& t : targets) {
    EXPECT_EQ(call("GET", t, nullptr, Who::token(alice_token)).status, 200) << t;
    EXPECT_EQ(call("GET", t, nullptr, Who::token(key1->token)).status, 200) << t << " owner";
    EXPECT_EQ(call("GET", t, nullptr, Who::master_key()).status, 200) << t << " master";
    Sent other_user = call("GET", t, nullptr, Who::token(key2->token));
    EXPECT_TRUE(other_user.status == 403 || other_user.status == 404) << t << other_user.status;
    EXPECT_FALSE(other_user.json.contains("groups"));
    EXPECT_FALSE(other_user.json.contains("contacts"));
    Sent other_token = call("GET", t, nullptr, Who::token(bob_token));
    EXPECT_TRUE(other_token.status == 403 || other_token.status == 404) << t;
    EXPECT_EQ(call("GET", t, nullptr, Who::anonymous()).status, 401) << t;
    // An unknown token is refused by the auth middleware (the seed answers 403 for it).
    const int wrong = call("GET", t, nullptr, Who::token("slt_wrong")).status;
    EXPECT_TRUE(wrong == 401 || wrong == 403) << t << " " << wrong;
  }
  // Writes too.
  Sent create =
      call("POST", "/api/v1/groups?sessionId=alice",
           {{"subject", "x"}, {"participants", nlohmann::json::array()}}, Who::token(bob_token));
  EXPECT_TRUE(create.status == 403 || create.status == 404);
  Sent leave = call("POST", "/api/v1/groups/120363000000000001@g.us/leave?sessionId=alice", nullptr,
                    Who::token(key2->token));
  EXPECT_TRUE(leave.status == 403 || leave.status == 404);

  // A session that exists but is not connected, and one that does not exist.
  Sent idle = call("GET", "/api/v1/groups?sessionId=idle", nullptr, Who::token(idle_token));
  EXPECT_EQ(idle.status, 404) << idle.json.dump();
  EXPECT_EQ(idle.json["message"], "Session idle not found or not connected.");
  Sent none = call("GET", "/api/v1/contacts/check?sessionId=nope&numbers=15551234567");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.json["message"], "Session nope not found or not connected.");
}

// POST /api/v1/media goes through the same store function as the link fetcher: the new audio /
// video types are accepted, the temporary upload is moved (not copied) into the media folder,
// and a session token's upload belongs to its session.
TEST_F(GroupsRoutesTest, UploadRouteStoresThroughTheSharedFunction) {
  const std::string token = link("bob", std::nullopt, /*scan=*/false);
  auto upload = [&](const std::string& name, const std::string& content, const Who& who) {
    auto form = std::make_shared<http::Form>();
    http::UploadedFile f;
    f.field = "file";
    f.filename = name;
    f.path = dir_ / ("upload-" + name);
    {
      std::ofstream out(f.path, std::ios::binary);
      out << content;
    }
    f.size = content.size();
    form->files.push_back(f);
    Sent s = call("POST", "/api/v1/media", nullptr, who, form);
    return std::make_pair(s, f.path);
  };
  const std::string mp4 = std::string("\0\0\0\x18", 4) + "ftypisom" + std::string(64, 'v');
  auto [ok, tmp] = upload("clip.mp4", mp4, Who::token(token));
  ASSERT_EQ(ok.status, 201) << ok.json.dump();
  EXPECT_EQ(ok.json["mimetype"], "video/mp4");
  const std::string id = ok.json["mediaId"];
  EXPECT_TRUE(std::filesystem::exists(dir_ / "media" / id));
  EXPECT_FALSE(std::filesystem::exists(tmp)) << "the temporary upload was moved";
  auto row = services_->storage().media().find(id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->session_id, std::optional<std::string>("bob"));
  EXPECT_EQ((*row)->original_name, std::optional<std::string>("clip.mp4"));
  EXPECT_EQ((*row)->size, static_cast<long long>(mp4.size()));

  auto [bad, bad_tmp] = upload("page.png", "<html><script>x</script>", Who::master_key());
  EXPECT_EQ(bad.status, 400) << bad.json.dump();
  EXPECT_NE(bad.json.dump().find("Invalid file type"), std::string::npos);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "media")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u) << "a refused upload leaves nothing in the media folder";
}

}  // namespace
}  // namespace gw
