// The live feed: ticket-gated /ws (hole 17.1.6), one-time tickets with expiry, and the hub's
// role/ownership filtering (no tokens, no logs for non-admins, campaign events to owners).
#include "tests/unit/gateway_auth/fixture.h"

namespace gw::testing {
namespace {

using nlohmann::json;

class LiveTest : public AuthFixture {
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
    make_session("system-1", std::nullopt);
    hub_->set_snapshot_provider(live::database_snapshot_provider(*services_));
  }

  std::string ticket_for(const Call& who) {
    Call c = who;
    c.method = "GET";
    c.target = "/api/v1/ws-auth";
    Sent s = call(c);
    EXPECT_EQ(s.response.status, 200) << s.response.body;
    return s.json.value("wsToken", "");
  }
  std::string ticket_for(const Browser& b) {
    Call c;
    c.browser = b;
    return ticket_for(c);
  }

  // Performs the upgrade as the server would: admit, then open.
  std::shared_ptr<FakeWs> connect(const std::string& path_and_query,
                                  std::optional<http::Response>* refusal = nullptr) {
    auto req = std::make_shared<http::Request>();
    req->id = 10000 + ++next_request_id_;
    req->method = "GET";
    req->set_target(path_and_query);
    auto refused = feed_->admit(*req);
    if (refusal) *refusal = refused;
    if (refused) return nullptr;
    auto ws = std::make_shared<FakeWs>(req->id);
    feed_->open(req, ws);
    // The DB snapshot arrives through the pool.
    eventually([&] { return !ws->sent.empty() || !ws->is_open(); });
    return ws;
  }

  static std::vector<std::string> session_ids(const json& update) {
    std::vector<std::string> ids;
    for (const auto& s : update["data"]) ids.push_back(s["sessionId"]);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::vector<live::SessionView> views() {
    return {
        {"session-a", "CONNECTED", "Connected", "", owner_user_.id, "owner@example.com"},
        {"session-b", "GENERATING_QR", "Scan", "2@qr-data", other_user_.id, "other@example.com"},
        {"system-1", "DISCONNECTED", "", "", std::nullopt, "system"}};
  }

  storage::User admin_user_, owner_user_, other_user_;
  Browser admin_, owner_, other_;
  std::string token_a_, token_b_;
};

// Seed hole 17.1.6: anonymous WebSocket clients received the whole log stream.
TEST_F(LiveTest, Hole_17_1_6_AnonymousAndBadTicketsAreRefusedBeforeUpgrade) {
  for (std::string target : std::vector<std::string>{
           "/ws", "/ws/", "/", "/ws?token=", "/ws?token=" + std::string(64, 'a'),
           "/ws?token=not-hex"}) {
    std::optional<http::Response> refusal;
    EXPECT_EQ(connect(target, &refusal), nullptr) << target;
    ASSERT_TRUE(refusal) << target;
    EXPECT_EQ(refusal->status, 401) << target;
  }
  EXPECT_EQ(hub_->client_count(), 0u);
  // Opening without a prior admit (should never happen) is closed with policy violation.
  auto req = std::make_shared<http::Request>();
  req->id = 424242;
  auto ws = std::make_shared<FakeWs>(1);
  feed_->open(req, ws);
  EXPECT_FALSE(ws->is_open());
  EXPECT_EQ(ws->close_code, 1008);
  // And the hub refuses anonymous principals whatever the caller does.
  auto ws2 = std::make_shared<FakeWs>(2);
  EXPECT_FALSE(hub_->add(ws2, auth::Principal::anonymous()));
  EXPECT_EQ(ws2->close_code, 1008);
}

TEST_F(LiveTest, TicketsAreSingleUseAndExpire) {
  std::string t = ticket_for(owner_);
  ASSERT_EQ(t.size(), 64u);
  EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos);
  auto first = connect("/ws?token=" + t);
  ASSERT_NE(first, nullptr);
  std::optional<http::Response> refusal;
  EXPECT_EQ(connect("/ws?token=" + t, &refusal), nullptr);  // already used
  EXPECT_EQ(refusal->status, 401);

  std::string late = ticket_for(owner_);
  clock_.advance(std::chrono::seconds(32));
  EXPECT_EQ(connect("/ws?token=" + late), nullptr);  // 31 s lifetime
  std::string in_time = ticket_for(owner_);
  clock_.advance(std::chrono::seconds(30));
  EXPECT_NE(connect("/?token=" + in_time), nullptr);  // "/" accepted like the seed

  // Unit level: bound to the principal, and revocable per user.
  auth::WsTicketStore store(clock_, core::SecureRandom::instance());
  auth::Principal p;
  p.kind = auth::Principal::Kind::kUser;
  p.user_id = "u-1";
  p.email = "x@example.com";
  p.role = "user";
  std::string a = store.issue(p);
  std::string b = store.issue(p);
  EXPECT_NE(a, b);
  auto got = store.redeem(a);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "u-1");
  EXPECT_FALSE(store.redeem(a));
  store.revoke_user("u-1");
  EXPECT_FALSE(store.redeem(b));
  EXPECT_EQ(store.outstanding(), 0u);
}

TEST_F(LiveTest, SnapshotOnConnectIsFilteredAndHasNoTokens) {
  auto admin_ws = connect("/ws?token=" + ticket_for(admin_));
  auto owner_ws = connect("/ws?token=" + ticket_for(owner_));
  auto other_ws = connect("/ws?token=" + ticket_for(other_));
  Call tok;
  tok.bearer = token_a_;
  auto token_ws = connect("/ws?token=" + ticket_for(tok));
  Call master;
  master.master_key = kMasterKey;
  auto master_ws = connect("/ws?token=" + ticket_for(master));
  for (auto* ws : {&admin_ws, &owner_ws, &other_ws, &token_ws, &master_ws}) {
    ASSERT_NE(*ws, nullptr);
    ASSERT_EQ((*ws)->messages("session-update").size(), 1u);
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(session_ids(admin_ws->messages("session-update")[0]),
            (V{"session-a", "session-b", "system-1"}));
  EXPECT_EQ(session_ids(master_ws->messages("session-update")[0]),
            (V{"session-a", "session-b", "system-1"}));
  EXPECT_EQ(session_ids(owner_ws->messages("session-update")[0]), V{"session-a"});
  EXPECT_EQ(session_ids(other_ws->messages("session-update")[0]), V{"session-b"});
  EXPECT_EQ(session_ids(token_ws->messages("session-update")[0]), V{"session-a"});
  for (auto* ws : {&admin_ws, &owner_ws, &other_ws, &token_ws, &master_ws}) {
    for (const auto& m : (*ws)->sent) {
      EXPECT_EQ(m.find(token_a_), std::string::npos);
      EXPECT_EQ(m.find(token_b_), std::string::npos);
      EXPECT_EQ(m.find("\"token\""), std::string::npos);
    }
  }
  auto s = admin_ws->messages("session-update")[0]["data"][0];
  for (const char* k : {"sessionId", "status", "detail", "qr", "owner"}) EXPECT_TRUE(s.contains(k));
  EXPECT_EQ(s.size(), 5u);
}

TEST_F(LiveTest, PublishedEventsReachOnlyThoseAllowed) {
  auto admin_ws = connect("/ws?token=" + ticket_for(admin_));
  auto owner_ws = connect("/ws?token=" + ticket_for(owner_));
  auto other_ws = connect("/ws?token=" + ticket_for(other_));
  ASSERT_TRUE(admin_ws && owner_ws && other_ws);

  hub_->publish_session_update(views());
  EXPECT_EQ(session_ids(owner_ws->messages("session-update").back()),
            std::vector<std::string>{"session-a"});
  EXPECT_EQ(session_ids(other_ws->messages("session-update").back()),
            std::vector<std::string>{"session-b"});
  EXPECT_EQ(admin_ws->messages("session-update").back()["data"].size(), 3u);
  auto b = other_ws->messages("session-update").back()["data"][0];
  EXPECT_EQ(b["qr"], "2@qr-data");
  EXPECT_EQ(b["owner"], "other@example.com");

  // Logs: admins only, and redacted.
  live::LogEvent ev;
  ev.session_id = "session-a";
  ev.message = "API request";
  ev.details = {{"path", "/api/v1/messages"},
                {"token", token_a_},
                {"body", {{"text", "hi there"}}},
                {"nested", {{"password", "pw"}, {"caption", "c"}, {"count", 2}}}};
  hub_->publish_log(ev);
  ASSERT_EQ(admin_ws->messages("log").size(), 1u);
  EXPECT_TRUE(owner_ws->messages("log").empty());
  EXPECT_TRUE(other_ws->messages("log").empty());
  json log = admin_ws->messages("log")[0];
  EXPECT_EQ(log["sessionId"], "session-a");
  EXPECT_EQ(log["details"]["path"], "/api/v1/messages");
  EXPECT_EQ(log["details"]["nested"], json({{"count", 2}}));
  EXPECT_FALSE(log["details"].contains("token"));
  EXPECT_FALSE(log["details"].contains("body"));
  EXPECT_EQ(admin_ws->sent.back().find(token_a_), std::string::npos);
  EXPECT_TRUE(log["timestamp"].is_string());

  // Campaign events: owner and admins.
  live::CampaignProgress p;
  p.campaign_id = "c1";
  p.owner_id = owner_user_.id;
  p.processed = 1;
  p.total = 2;
  p.recipient = {"+15550001", "Ann", "failed", std::string("timeout")};
  hub_->publish_campaign_progress(p);
  live::CampaignStatus st;
  st.campaign_id = "c1";
  st.owner_id = owner_user_.id;
  st.status = "paused";
  hub_->publish_campaign_status(st);
  EXPECT_EQ(owner_ws->messages("campaign-progress").size(), 1u);
  EXPECT_EQ(admin_ws->messages("campaign-progress").size(), 1u);
  EXPECT_TRUE(other_ws->messages("campaign-progress").empty());
  EXPECT_EQ(owner_ws->messages("campaign-status").size(), 1u);
  EXPECT_TRUE(other_ws->messages("campaign-status").empty());
  json prog = owner_ws->messages("campaign-progress")[0];
  EXPECT_EQ(prog["recipient"]["error"], "timeout");
  EXPECT_EQ(prog["total"], 2);
}

TEST_F(LiveTest, SlowClientIsDroppedAndClosedClientsRemoved) {
  live::LiveHub::Options o;
  o.max_queued_bytes = 600;
  live::LiveHub small(o);
  auth::Principal admin = auth::Principal::master();
  auto slow = std::make_shared<FakeWs>(1);
  auto fast = std::make_shared<FakeWs>(2);
  ASSERT_TRUE(small.add(slow, admin));
  ASSERT_TRUE(small.add(fast, admin));
  slow->stall();
  for (int i = 0; i < 20; ++i) small.publish_session_update(views());
  EXPECT_FALSE(slow->is_open());
  EXPECT_EQ(slow->close_code, 1008);
  EXPECT_EQ(small.client_count(), 1u);
  EXPECT_EQ(fast->messages("session-update").size(), 20u);
  fast->close(1000, "bye");
  small.publish_session_update(views());
  EXPECT_EQ(small.client_count(), 0u);

  live::LiveHub::Options tiny;
  tiny.max_clients = 1;
  live::LiveHub full(tiny);
  EXPECT_TRUE(full.add(std::make_shared<FakeWs>(1), admin));
  auto refused = std::make_shared<FakeWs>(2);
  EXPECT_FALSE(full.add(refused, admin));
  EXPECT_EQ(refused->close_code, 1013);
}

}  // namespace
}  // namespace gw::testing
