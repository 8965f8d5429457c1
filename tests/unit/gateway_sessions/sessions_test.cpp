// Session id validation, the connection-event → state machine mapping, and the seed message
// shapes (recipient JIDs, message objects).
#include <gtest/gtest.h>

#include "gateway/api/messaging_routes.h"
#include "gateway/sessions/sandbox.h"
#include "gateway/sessions/session_manager.h"
#include "wa/client/messages.h"

namespace gw {
namespace {

using sessions::State;
using wa::client::ConnectionEvent;
using wa::client::ConnectionState;
using wa::client::DisconnectReason;

TEST(SessionIdTest, AcceptsTheAllowedAlphabet) {
  EXPECT_TRUE(sessions::valid_session_id("a"));
  EXPECT_TRUE(sessions::valid_session_id("Sales_Team-01"));
  EXPECT_TRUE(sessions::valid_session_id(std::string(64, 'x')));
}

TEST(SessionIdTest, RefusesTraversalAndOddCharacters) {
  for (std::string bad : {"", "../etc", "a/b", "a b", "a.b", "a\\b", "é", "%2e%2e"}) {
    EXPECT_FALSE(sessions::valid_session_id(bad)) << bad;
  }
  EXPECT_FALSE(sessions::valid_session_id(std::string(65, 'x')));
  EXPECT_FALSE(sessions::valid_session_id(std::string("a\0b", 3)));
}

TEST(SessionIdTest, SeedNormalisationTrimsAndJoinsWhitespace) {
  EXPECT_EQ(api::normalize_session_id("  my  shop \t 2 "), "my_shop_2");
  EXPECT_EQ(api::normalize_session_id("   "), "");
}

TEST(StateMachineTest, NamesRoundTrip) {
  for (State s : {State::kCreating, State::kGeneratingQr, State::kConnecting, State::kConnected,
                  State::kDisconnected, State::kLoggedOut}) {
    EXPECT_EQ(sessions::parse_state(sessions::state_name(s)), s);
  }
  EXPECT_FALSE(sessions::parse_state("connected").has_value());
}

TEST(StateMachineTest, ConnectionEventsMapToStatesWithReasons) {
  ConnectionEvent e;
  e.state = ConnectionState::kConnecting;
  EXPECT_EQ(sessions::transition_for(e)->state, State::kConnecting);

  e.state = ConnectionState::kPairing;
  EXPECT_FALSE(sessions::transition_for(e).has_value()) << "GENERATING_QR waits for a QR";

  e.state = ConnectionState::kConnected;
  EXPECT_EQ(sessions::transition_for(e)->state, State::kConnected);

  e.state = ConnectionState::kDisconnected;
  e.reason = DisconnectReason::kNetwork;
  e.reconnect_in = std::chrono::milliseconds(2000);
  auto t = sessions::transition_for(e);
  EXPECT_EQ(t->state, State::kDisconnected);
  EXPECT_EQ(t->reason, wa::client::to_string(DisconnectReason::kNetwork));
  EXPECT_NE(t->detail.find("2000"), std::string::npos);

  e.state = ConnectionState::kLoggedOut;
  e.reason = DisconnectReason::kLoggedOut;
  EXPECT_EQ(sessions::transition_for(e)->state, State::kLoggedOut);

  e.state = ConnectionState::kStopped;
  e.reason = DisconnectReason::kQrTimeout;
  t = sessions::transition_for(e);
  EXPECT_EQ(t->state, State::kDisconnected);
  EXPECT_EQ(t->reason, wa::client::to_string(DisconnectReason::kQrTimeout));
}

TEST(RecipientTest, IndividualAndGroupJids) {
  EXPECT_EQ(*api::recipient_jid("15551234567", ""), "15551234567@s.whatsapp.net");
  EXPECT_EQ(*api::recipient_jid("+1 555-123-4567", "individual"), "15551234567@s.whatsapp.net");
  EXPECT_EQ(*api::recipient_jid("15551234567@s.whatsapp.net", ""), "15551234567@s.whatsapp.net");
  EXPECT_EQ(*api::recipient_jid("1203630-1234@g.us", ""), "1203630-1234@g.us");
  EXPECT_EQ(*api::recipient_jid("120363012345", "group"), "120363012345@g.us");
}

TEST(RecipientTest, RefusesGarbage) {
  EXPECT_FALSE(api::recipient_jid("abc", "").ok());
  EXPECT_FALSE(api::recipient_jid("123", "").ok());  // too short
  EXPECT_FALSE(api::recipient_jid("1555@evil.com", "").ok());
  EXPECT_FALSE(api::recipient_jid("1555123456", "broadcast").ok());
  EXPECT_FALSE(api::recipient_jid("abc@g.us", "").ok());
  EXPECT_FALSE(api::recipient_jid("1+555123456", "").ok());
}

TEST(MessageShapeTest, TextMessage) {
  auto m = api::parse_message(
      {{"to", "15551234567"}, {"type", "text"}, {"text", {{"body", "*hi*\nthere"}}}});
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->to_jid, "15551234567@s.whatsapp.net");
  EXPECT_EQ(m->type, "text");
  EXPECT_EQ(wa::client::content_text(m->message), "*hi*\nthere");
  EXPECT_EQ(m->body["text"], "*hi*\nthere");
}

TEST(MessageShapeTest, Errors) {
  EXPECT_FALSE(api::parse_message(nlohmann::json::array()).ok());
  EXPECT_FALSE(api::parse_message({{"type", "text"}, {"text", {{"body", "x"}}}}).ok());
  EXPECT_FALSE(api::parse_message({{"to", "15551234567"}, {"text", {{"body", "x"}}}}).ok());
  EXPECT_FALSE(api::parse_message({{"to", "15551234567"}, {"type", "text"}}).ok());
  EXPECT_FALSE(
      api::parse_message({{"to", "15551234567"}, {"type", "text"}, {"text", {{"body", ""}}}}).ok());
  EXPECT_FALSE(
      api::parse_message(
          {{"to", "15551234567"}, {"type", "text"}, {"text", {{"body", std::string(4097, 'a')}}}})
          .ok());
  EXPECT_FALSE(api::parse_message({{"to", "15551234567"}, {"type", "poll"}}).ok());
  EXPECT_FALSE(api::parse_message({{"to", "15551234567"}, {"type", "image"}}).ok());
  // A link is kept for the route's MediaFetcher (message_parse.cpp); only its syntax is checked.
  auto linked = api::parse_message(
      {{"to", "15551234567"}, {"type", "image"}, {"image", {{"link", "http://x/y.png"}}}});
  ASSERT_TRUE(linked.ok());
  EXPECT_EQ(linked->media->link, "http://x/y.png");
  EXPECT_FALSE(
      api::parse_message(
          {{"to", "15551234567"}, {"type", "image"}, {"image", {{"id", "../../etc/passwd"}}}})
          .ok());
}

TEST(MessageShapeTest, MediaMessages) {
  auto img = api::parse_message({{"to", "15551234567"},
                                 {"type", "image"},
                                 {"image", {{"id", "abc123"}, {"caption", "look"}}}});
  ASSERT_TRUE(img.ok()) << img.status().message();
  ASSERT_TRUE(img->media.has_value());
  EXPECT_EQ(img->media->media_id, "abc123");
  EXPECT_EQ(img->media->kind, wa::client::MediaKind::kImage);
  EXPECT_EQ(img->media->options.caption, "look");
  auto doc = api::parse_message({{"to", "15551234567"},
                                 {"type", "document"},
                                 {"document", {{"id", "d1"}, {"filename", "a.pdf"}}}});
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->media->kind, wa::client::MediaKind::kDocument);
  EXPECT_EQ(doc->media->options.file_name, "a.pdf");
}

TEST(MediaSniffTest, MagicBytesDecideTheType) {
  auto bytes = [](std::string_view s) { return core::Bytes(s.begin(), s.end()); };
  EXPECT_EQ(api::sniff_media_type(bytes("\x89PNG\r\n\x1A\nrest"), "x.exe"), "image/png");
  EXPECT_EQ(api::sniff_media_type(bytes("\xFF\xD8\xFF\xE0"), ""), "image/jpeg");
  EXPECT_EQ(api::sniff_media_type(bytes("%PDF-1.7"), "a.png"), "application/pdf");
  EXPECT_EQ(api::sniff_media_type(bytes("RIFF1234WEBPVP8 "), ""), "image/webp");
  EXPECT_EQ(api::sniff_media_type(bytes(std::string_view("PK\x03\x04zz", 6)), "a.docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_FALSE(api::sniff_media_type(bytes(std::string_view("PK\x03\x04zz", 6)), "a.zip"));
  EXPECT_FALSE(api::sniff_media_type(bytes("<html><script>"), "a.png"));
  EXPECT_FALSE(api::sniff_media_type(core::Bytes(), "a.pdf"));
}

TEST(SandboxTest, PhoneForSessionIsStableAndWellFormed) {
  const std::string a = sessions::Sandbox::phone_for("shop");
  EXPECT_EQ(a, sessions::Sandbox::phone_for("shop"));
  EXPECT_NE(a, sessions::Sandbox::phone_for("shop2"));
  EXPECT_EQ(a.size(), 11u);
  EXPECT_EQ(a.substr(0, 4), "1555");
}

TEST(SnapshotJsonTest, NeverCarriesATokenAndNullsEmptyQr) {
  sessions::SessionSnapshot s;
  s.id = "x";
  s.state = State::kConnected;
  s.owner = "system";
  auto j = sessions::snapshot_json(s);
  EXPECT_EQ(j["sessionId"], "x");
  EXPECT_EQ(j["status"], "CONNECTED");
  EXPECT_TRUE(j["qr"].is_null());
  EXPECT_FALSE(j.contains("token"));
}

}  // namespace
}  // namespace gw
