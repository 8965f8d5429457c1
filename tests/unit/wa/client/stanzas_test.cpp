// Parsers and builders of the client's IQ stanzas: usync (the key-index rule, LID), key bundles
// (flat and <keys> forms, per-user errors), groups, pre-key upload, retry receipts.
#include "wa/client/stanzas.h"

#include <gtest/gtest.h>

namespace wa::client {
namespace {

Node b(std::string tag, core::Bytes v) { return Node(std::move(tag), {}, std::move(v)); }

TEST(Usync, DevicesWithoutKeyIndexAreDroppedAndLidIsRead) {
  Node dl("device-list");
  dl.add_child(Node("device", {{"id", "0"}}));
  dl.add_child(Node("device", {{"id", "3"}, {"key-index", "1"}}));
  dl.add_child(Node("device", {{"id", "4"}}));  // no key-index: ignored
  Node devices("devices");
  devices.add_child(std::move(dl));
  Node user("user", {{"jid", "15551234567@s.whatsapp.net"}});
  user.add_child(std::move(devices));
  user.add_child(Node("lid", {{"val", "999@lid"}}));
  Node list("list");
  list.add_child(std::move(user));
  Node usync("usync");
  usync.add_child(std::move(list));
  Node iq("iq", {{"type", "result"}});
  iq.add_child(std::move(usync));
  auto users = parse_usync(iq);
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].lid, "999@lid");
  ASSERT_EQ((*users)[0].devices.size(), 2u);
  EXPECT_EQ((*users)[0].devices[1].id, 3u);
  EXPECT_EQ((*users)[0].devices[1].key_index, 1u);
  EXPECT_FALSE(parse_usync(Node("iq")).ok());
}

TEST(Usync, QueryShape) {
  auto q = build_usync_query("1", "s", {"1@s.whatsapp.net"}, "message", true, true);
  EXPECT_EQ(q.attr_or("xmlns", ""), "usync");
  const Node* u = q.child("usync");
  ASSERT_NE(u, nullptr);
  EXPECT_NE(u->child("query")->child("devices"), nullptr);
  EXPECT_NE(u->child("query")->child("lid"), nullptr);
  EXPECT_EQ(u->child("list")->children("user")[0]->attr_or("jid", ""), "1@s.whatsapp.net");
}

Node bundle_user(const std::string& jid, bool with_key) {
  Node u("user", {{"jid", jid}});
  u.add_child(b("registration", {0, 0, 0, 21}));
  u.add_child(b("type", {5}));
  u.add_child(b("identity", core::Bytes(32, 1)));
  Node skey("skey");
  skey.add_child(b("id", {0, 0, 1}));
  skey.add_child(b("value", core::Bytes(32, 2)));
  skey.add_child(b("signature", core::Bytes(64, 3)));
  u.add_child(std::move(skey));
  if (with_key) {
    Node key("key");
    key.add_child(b("id", {0, 1, 0}));
    key.add_child(b("value", core::Bytes(32, 4)));
    u.add_child(std::move(key));
  }
  return u;
}

TEST(KeyBundles, ParsesUsersAndSkipsErrors) {
  Node list("list");
  list.add_child(bundle_user("123:7@lid", true));
  list.add_child(bundle_user("124@lid", false));
  Node err("user", {{"jid", "125@lid"}});
  err.add_child(Node("error", {{"code", "404"}}));
  list.add_child(std::move(err));
  Node bad("user", {{"jid", "126@lid"}});
  bad.add_child(b("registration", {1}));  // too short
  list.add_child(std::move(bad));
  Node iq("iq");
  iq.add_child(std::move(list));
  auto r = parse_key_bundles(iq);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].bundle.registration_id, 21u);
  EXPECT_EQ((*r)[0].bundle.device_id, 7u);
  EXPECT_EQ((*r)[0].bundle.signed_pre_key.id, 1u);
  ASSERT_TRUE((*r)[0].bundle.pre_key);
  EXPECT_EQ((*r)[0].bundle.pre_key->id, 256u);
  EXPECT_FALSE((*r)[1].bundle.pre_key);
  EXPECT_FALSE(parse_key_bundles(Node("iq")).ok());
}

TEST(Groups, ParseGroupNode) {
  Node g("group", {{"id", "120363000000000001"},
                   {"subject", "S"},
                   {"addressing_mode", "lid"},
                   {"creation", "17"}});
  g.add_child(
      Node("participant",
           {{"jid", "1@lid"}, {"phone_number", "5@s.whatsapp.net"}, {"type", "superadmin"}}));
  g.add_child(Node("participant", {{"jid", "2@lid"}}));
  auto info = parse_group(g);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->jid, "120363000000000001@g.us");
  EXPECT_EQ(info->addressing_mode, "lid");
  EXPECT_EQ(info->creation, 17);
  ASSERT_EQ(info->participants.size(), 2u);
  EXPECT_EQ(info->participants[0].role, "superadmin");
  EXPECT_EQ(info->participants[0].phone_number, "5@s.whatsapp.net");
  EXPECT_FALSE(parse_group(Node("group")).ok());
  EXPECT_FALSE(parse_group(Node("iq")).ok());
}

TEST(PreKeys, UploadShape) {
  core::FakeRandom r(1);
  store::DeviceCredentials c;
  c.registration_id = 21;
  c.signed_pre_key.id = 1;
  c.signed_pre_key.signature = core::Bytes(64, 9);
  auto keys = signal::generate_pre_keys(1, 3, r);
  auto iq = build_prekey_upload("x", c, keys);
  EXPECT_EQ(iq.attr_or("xmlns", ""), "encrypt");
  EXPECT_EQ(*iq.child("registration")->bytes(), (core::Bytes{0, 0, 0, 21}));
  EXPECT_EQ(*iq.child("type")->bytes(), (core::Bytes{5}));
  EXPECT_EQ(iq.child("list")->children("key").size(), 3u);
  EXPECT_EQ(*iq.child("list")->children("key")[2]->child("id")->bytes(), (core::Bytes{0, 0, 3}));
  EXPECT_EQ(iq.child("skey")->child("signature")->bytes()->size(), 64u);
}

TEST(Retry, ReceiptShapeWithAndWithoutKeys) {
  RetryReceiptParams p;
  p.id = "M1";
  p.to = "5:2@s.whatsapp.net";
  p.count = 1;
  p.registration_id = 7;
  p.original_t = "100";
  auto r1 = build_retry_receipt(p);
  EXPECT_EQ(r1.attr_or("type", ""), "retry");
  EXPECT_EQ(r1.child("retry")->attr_or("count", ""), "1");
  EXPECT_EQ(r1.child("retry")->attr_or("t", ""), "100");
  EXPECT_EQ(r1.child("keys"), nullptr);

  core::FakeRandom rnd(2);
  store::DeviceCredentials c;
  c.signed_pre_key.id = 1;
  c.signed_pre_key.signature = core::Bytes(64, 1);
  c.account = core::Bytes{1, 2};
  p.count = 2;
  p.creds = &c;
  p.pre_key = signal::generate_pre_keys(40, 1, rnd)[0];
  auto r2 = build_retry_receipt(p);
  ASSERT_NE(r2.child("keys"), nullptr);
  EXPECT_NE(r2.child("keys")->child("device-identity"), nullptr);
  // The receiving side reads the same keys back as a bundle.
  auto bundle = parse_retry_keys(r2, 2);
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->registration_id, 7u);
  EXPECT_EQ(bundle->pre_key->id, 40u);
  EXPECT_EQ(bundle->device_id, 2u);
}

}  // namespace
}  // namespace wa::client
