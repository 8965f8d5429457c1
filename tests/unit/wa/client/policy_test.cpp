// Pure staying-linked logic: backoff schedule, disconnect classification, retry counting,
// duplicate memory; plus message building and unwrapping.
#include "wa/client/policy.h"

#include <gtest/gtest.h>

#include "wa/client/messages.h"

namespace wa::client {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, GrowsExponentiallyWithinJitterAndIsCapped) {
  BackoffPolicy p;  // 1 s, ×2, cap 60 s, ±20 %
  core::FakeRandom r(1);
  for (uint32_t attempt = 1; attempt <= 12; ++attempt) {
    double base = std::min(1000.0 * (1 << (attempt - 1)), 60000.0);
    for (int i = 0; i < 50; ++i) {
      auto d = p.delay(attempt, r).count();
      EXPECT_GE(d, static_cast<int64_t>(base * 0.8) - 1) << attempt;
      EXPECT_LE(d, std::min<int64_t>(static_cast<int64_t>(base * 1.2) + 1, 60000)) << attempt;
    }
  }
  EXPECT_LE(p.delay(1000, r).count(), 60000);
  EXPECT_GE(p.delay(0, r).count(), 800);  // attempt 0 is treated as the first
}

TEST(Backoff, JitterSpreadsClientsApart) {
  BackoffPolicy p;
  core::FakeRandom r(2);
  std::set<int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(p.delay(3, r).count());
  EXPECT_GT(seen.size(), 50u) << "1,000 clients must not reconnect in lockstep";
}

binary::Node failure(const std::string& reason) {
  return binary::Node("failure", {{"reason", reason}});
}

TEST(Classify, Failures) {
  auto d = classify_failure(failure("401"));
  EXPECT_EQ(d.reason, DisconnectReason::kLoggedOut);
  EXPECT_FALSE(d.reconnect);
  EXPECT_TRUE(d.logged_out);
  EXPECT_TRUE(classify_failure(failure("403")).logged_out);
  EXPECT_TRUE(classify_failure(failure("406")).logged_out);
  EXPECT_EQ(classify_failure(failure("402")).reason, DisconnectReason::kTemporaryBan);
  EXPECT_FALSE(classify_failure(failure("402")).reconnect);
  EXPECT_EQ(classify_failure(failure("405")).reason, DisconnectReason::kClientOutdated);
  auto s = classify_failure(failure("503"));
  EXPECT_EQ(s.reason, DisconnectReason::kServerError);
  EXPECT_TRUE(s.reconnect);
  EXPECT_FALSE(s.immediate);
  EXPECT_EQ(classify_failure(failure("x")).reason, DisconnectReason::kProtocolError);
}

TEST(Classify, StreamErrors) {
  auto restart = classify_stream_error(binary::Node("stream:error", {{"code", "515"}}));
  EXPECT_EQ(restart.reason, DisconnectReason::kRestartRequired);
  EXPECT_TRUE(restart.reconnect);
  EXPECT_TRUE(restart.immediate);

  binary::Node removed("stream:error", {{"code", "401"}});
  removed.add_child(binary::Node("conflict", {{"type", "device_removed"}}));
  auto lo = classify_stream_error(removed);
  EXPECT_EQ(lo.reason, DisconnectReason::kLoggedOut);
  EXPECT_TRUE(lo.logged_out);

  binary::Node replaced("stream:error");
  replaced.add_child(binary::Node("conflict", {{"type", "replaced"}}));
  auto rp = classify_stream_error(replaced);
  EXPECT_EQ(rp.reason, DisconnectReason::kReplaced);
  EXPECT_EQ(rp.code, 440);
  EXPECT_FALSE(rp.reconnect);

  auto s = classify_stream_error(binary::Node("stream:error", {{"code", "503"}}));
  EXPECT_EQ(s.reason, DisconnectReason::kServerError);
  EXPECT_TRUE(s.reconnect);
}

TEST(Classify, TransportCloses) {
  EXPECT_EQ(classify_transport_close(core::Status::deadline_exceeded("x")).reason,
            DisconnectReason::kTimeout);
  auto cert =
      classify_transport_close(core::Status::unauthenticated("x").with_context("noise handshake"));
  EXPECT_EQ(cert.reason, DisconnectReason::kBadCertificate);
  EXPECT_FALSE(cert.reconnect);
  auto net = classify_transport_close(core::Status::unavailable("reset"));
  EXPECT_EQ(net.reason, DisconnectReason::kNetwork);
  EXPECT_TRUE(net.reconnect);
}

TEST(RetryCounterTest, CountsPerKeyAndForgetsOldest) {
  RetryCounter c(3);
  EXPECT_EQ(c.next("a"), 1u);
  EXPECT_EQ(c.next("a"), 2u);
  EXPECT_EQ(c.next("b"), 1u);
  EXPECT_EQ(c.get("a"), 2u);
  c.next("c");
  c.next("d");  // evicts "a"
  EXPECT_EQ(c.get("a"), 0u);
  EXPECT_EQ(c.size(), 3u);
  c.erase("b");
  EXPECT_EQ(c.get("b"), 0u);
}

TEST(RecentSetTest, RemembersTheLastN) {
  RecentSet s(2);
  EXPECT_TRUE(s.insert("x"));
  EXPECT_FALSE(s.insert("x"));
  EXPECT_TRUE(s.insert("y"));
  EXPECT_TRUE(s.insert("z"));
  EXPECT_FALSE(s.contains("x"));
  EXPECT_TRUE(s.contains("z"));
}

TEST(Messages, StanzaKinds) {
  EXPECT_EQ(stanza_kind(make_text("x")).type, "text");
  auto key = make_key("1@s.whatsapp.net", "ID", true);
  EXPECT_EQ(stanza_kind(make_reaction(key, "👍", 1)).type, "reaction");
  EXPECT_EQ(stanza_kind(make_edit(key, "y", 1)).edit, "1");
  EXPECT_EQ(stanza_kind(make_revoke(key)).edit, "7");
  UploadedMedia up;
  up.kind = MediaKind::kAudio;
  MediaOptions o;
  o.ptt = true;
  auto ptt = make_media(up, o);
  EXPECT_EQ(stanza_kind(ptt).type, "media");
  EXPECT_EQ(stanza_kind(ptt).media_type, "ptt");
  EXPECT_EQ(content_kind(ptt), "ptt");
  up.kind = MediaKind::kDocument;
  o.file_name = "a.pdf";
  auto doc = make_media(up, o);
  EXPECT_EQ(doc.document_message().file_name(), "a.pdf");
  EXPECT_EQ(stanza_kind(make_location(1, 2)).media_type, "location");
}

TEST(Messages, UnwrapDsmAndWrappers) {
  waproto::Message inner = make_text("hi");
  waproto::Message dsm;
  dsm.mutable_device_sent_message()->set_destination_jid("2@s.whatsapp.net");
  *dsm.mutable_device_sent_message()
       ->mutable_message()
       ->mutable_ephemeral_message()
       ->mutable_message() = inner;
  auto u = unwrap_message(dsm);
  EXPECT_EQ(u.dsm_destination, "2@s.whatsapp.net");
  EXPECT_TRUE(u.ephemeral);
  EXPECT_EQ(u.message.conversation(), "hi");
}

TEST(Messages, ExtendedTextCarriesMentionsAndQuote) {
  QuotedMessage q;
  q.id = "Q1";
  q.sender = "5@s.whatsapp.net";
  q.message = make_text("orig");
  auto m = make_extended_text("hey @5", {"5@s.whatsapp.net"}, &q, "https://x.y", "T");
  const auto& ci = m.extended_text_message().context_info();
  EXPECT_EQ(ci.mentioned_jid(0), "5@s.whatsapp.net");
  EXPECT_EQ(ci.stanza_id(), "Q1");
  EXPECT_EQ(ci.quoted_message().conversation(), "orig");
  EXPECT_EQ(m.extended_text_message().matched_text(), "https://x.y");
}

TEST(Messages, IdsLookLikeWebIds) {
  core::FakeRandom r(3);
  auto id = new_message_id(1700000000, "15551234567", r);
  EXPECT_EQ(id.size(), 22u);
  EXPECT_EQ(id.substr(0, 4), "3EB0");
  EXPECT_NE(id, new_message_id(1700000000, "15551234567", r));
}

}  // namespace
}  // namespace wa::client
