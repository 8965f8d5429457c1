#include "gateway/webhooks/event.h"

#include <gtest/gtest.h>


namespace gw::webhooks {
namespace {

// Lowercase 8-4-4-4-12 hex with the RFC 4122 variant bits (std::regex trips a GCC 12 warning).
bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b';
}

TEST(Event, SessionStatusHasSeedShape) {
  Event e = session_status_event("id-1", "s1", "CONNECTED", std::nullopt, std::nullopt);
  EXPECT_EQ(e.type, "session-status");
  EXPECT_EQ(e.session_id, "s1");
  EXPECT_EQ(
      e.body,
      nlohmann::json({{"event", "session-status"}, {"sessionId", "s1"}, {"status", "CONNECTED"}}));
  Event d = session_status_event("id-2", "s1", "DISCONNECTED", "Connection closed", "428");
  EXPECT_EQ(d.body["detail"], "Connection closed");
  EXPECT_EQ(d.body["reason"], "428");
}

TEST(Event, NewMessageHasSeedShape) {
  nlohmann::json data = {{"key", {{"remoteJid", "123@s.whatsapp.net"}, {"id", "ABC"}}},
                         {"message", {{"conversation", "hi"}}}};
  Event e = new_message_event("id", "s1", "123@s.whatsapp.net", "ABC", 1700000000, data);
  EXPECT_EQ(e.body["event"], "new-message");
  EXPECT_EQ(e.body["sessionId"], "s1");
  EXPECT_EQ(e.body["from"], "123@s.whatsapp.net");
  EXPECT_EQ(e.body["messageId"], "ABC");
  EXPECT_EQ(e.body["timestamp"], 1700000000);
  EXPECT_EQ(e.body["data"], data);
  EXPECT_EQ(e.body.size(), 6u);
}

TEST(Event, MessageStatus) {
  Event e = message_status_event("id", "s1", "M1", "1555@s.whatsapp.net", MessageStatus::kRead,
                                 std::nullopt, 1700000001);
  EXPECT_EQ(e.body, nlohmann::json({{"event", "message-status"},
                                    {"sessionId", "s1"},
                                    {"messageId", "M1"},
                                    {"to", "1555@s.whatsapp.net"},
                                    {"status", "read"},
                                    {"timestamp", 1700000001}}));
  Event f = message_status_event("id", "s1", "M1", "x", MessageStatus::kFailed, "no route", 1);
  EXPECT_EQ(f.body["status"], "failed");
  EXPECT_EQ(f.body["error"], "no route");
  for (auto s : {"sent", "delivered", "read", "failed"}) {
    auto p = parse_message_status(s);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(message_status_name(*p), s);
  }
  EXPECT_FALSE(parse_message_status("played").ok());
}

TEST(Event, CampaignEvents) {
  auto e = campaign_event("id", "progress", std::string("s1"), {{"campaignId", "c1"}, {"sent", 3}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, "campaign-progress");
  EXPECT_EQ(e->body["event"], "campaign-progress");
  EXPECT_EQ(e->body["sessionId"], "s1");
  EXPECT_EQ(e->body["sent"], 3);
  EXPECT_FALSE(campaign_event("id", "", std::nullopt, nlohmann::json::object()).ok());
  EXPECT_FALSE(campaign_event("id", "Bad Kind", std::nullopt, nlohmann::json::object()).ok());
  EXPECT_FALSE(campaign_event("id", "status", std::nullopt, nlohmann::json::array()).ok());
  auto n = campaign_event("id", "status", std::nullopt, {{"sessionId", "spoof"}});
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->body.contains("sessionId"));
}

TEST(Event, Ids) {
  core::FakeRandom r(1);
  std::string a = random_event_id(r), b = random_event_id(r);
  EXPECT_TRUE(is_uuid(a)) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
  std::string d1 = derived_event_id("status|s1|M1|read");
  EXPECT_EQ(d1, derived_event_id("status|s1|M1|read"));
  EXPECT_NE(d1, derived_event_id("status|s1|M1|delivered"));
  EXPECT_TRUE(is_uuid(d1)) << d1;
  EXPECT_EQ(d1[14], '8');
  EXPECT_EQ(header_event_id("abc~r1"), "abc");
  EXPECT_EQ(header_event_id("abc"), "abc");
}

TEST(Event, OutboxRowSurvivesInvalidUtf8) {
  Event e = new_message_event("id", "s1", "x", "M", 1, {{"text", std::string("bad \xff byte")}});
  storage::WebhookEvent row = to_outbox(e);
  EXPECT_EQ(row.event_id, "id");
  EXPECT_EQ(row.event_type, "new-message");
  EXPECT_EQ(row.session_id, "s1");
  auto parsed = nlohmann::json::parse(row.payload_json);
  EXPECT_EQ(parsed["event"], "new-message");
}

}  // namespace
}  // namespace gw::webhooks
