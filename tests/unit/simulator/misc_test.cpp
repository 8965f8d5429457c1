// Accounts, small IQs, malformed input, persistence, faults, media.
#include <filesystem>

#include "tests/unit/simulator/simulator_test_util.h"

namespace sim::test {
namespace {

TEST_F(SimTest, CreateAccountValidation) {
  auto r = sim->create_account("15551234567", "Alice", VirtualKind::kNone);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->phone, "15551234567");
  EXPECT_EQ(r->lid.size(), 15u);
  EXPECT_NE(r->lid[0], '0');
  EXPECT_EQ(r->name, "Alice");
  EXPECT_EQ(sim->create_account("15551234567", "", VirtualKind::kNone).status().code(),
            core::StatusCode::kAlreadyExists);
  for (const char* bad : {"123456", "1234567890123456", "1555abc4567", ""}) {
    EXPECT_EQ(sim->create_account(bad, "", VirtualKind::kNone).status().code(),
              core::StatusCode::kInvalidArgument)
        << bad;
  }
  auto second = sim->create_account("+15557654321", "", VirtualKind::kNone);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->phone, "15557654321");
  EXPECT_NE(second->lid, r->lid);
  EXPECT_EQ(sim->list_accounts().size(), 2u);
}

TEST_F(SimTest, SmallIqsAndUnknownIqGetResults) {
  create("15551234567");
  auto c = online("15551234567");
  Node ping("iq", {{"type", "get"}, {"xmlns", "w:p"}});
  ping.add_child(Node("ping"));
  Node r = iq(*c, ping);
  EXPECT_EQ(r.attr_or("type", ""), "result");
  EXPECT_EQ(r.attr_or("from", ""), "@s.whatsapp.net");

  Node unknown("iq", {{"type", "get"}, {"xmlns", "w:mex"}});
  unknown.add_child(Node("query"));
  r = iq(*c, unknown);
  EXPECT_EQ(r.attr_or("type", ""), "result");
  EXPECT_FALSE(r.has_content());

  Node mc("iq", {{"type", "set"}, {"xmlns", "w:m"}});
  mc.add_child(Node("media_conn"));
  r = iq(*c, mc);
  const Node* media = r.child("media_conn");
  ASSERT_NE(media, nullptr);
  for (const char* a : {"auth", "ttl", "auth_ttl", "max_buckets"}) EXPECT_TRUE(media->has_attr(a));
  EXPECT_EQ(media->child("host")->attr_or("hostname", ""), "127.0.0.1:8443");

  Node privacy("iq", {{"type", "get"}, {"xmlns", "privacy"}});
  privacy.add_child(Node("privacy"));
  r = iq(*c, privacy);
  bool readreceipts = false;
  for (const Node* cat : r.child("privacy")->children("category"))
    if (cat->attr_or("name", "") == "readreceipts")
      readreceipts = cat->attr_or("value", "") == "all";
  EXPECT_TRUE(readreceipts);

  Node bl("iq", {{"type", "get"}, {"xmlns", "blocklist"}});
  EXPECT_NE(iq(*c, bl).child("list"), nullptr);
  Node abt("iq", {{"type", "get"}, {"xmlns", "abt"}});
  abt.add_child(Node("props", {{"protocol", "1"}}));
  EXPECT_EQ(iq(*c, abt).child("props")->attr_or("protocol", ""), "1");

  Node sync("iq", {{"type", "set"}, {"xmlns", "w:sync:app:state"}});
  Node s("sync");
  s.add_child(Node("collection", {{"name", "regular_high"}, {"version", "0"}}));
  s.add_child(Node("collection", {{"name", "critical_block"}, {"version", "3"}}));
  sync.add_child(std::move(s));
  r = iq(*c, sync);
  auto cols = r.child("sync")->children("collection");
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1]->attr_or("name", ""), "critical_block");
  EXPECT_EQ(cols[1]->attr_or("version", ""), "3");
}

TEST_F(SimTest, MalformedStanzasDoNotCrash) {
  create("15551234567");
  auto c = online("15551234567");
  const size_t before = c->sink->sent.size();
  node(*c, Node("iq"));                                 // no id: unanswerable
  node(*c, Node("message"));                            // no id
  node(*c, Node("receipt"));                            // no id
  node(*c, Node("ack"));                                // no id
  node(*c, Node("presence", {{"type", "subscribe"}}));  // no to
  node(*c, Node("chatstate", {{"to", "not a jid"}}));
  node(*c, Node("call", {{"id", "x"}}));  // unknown tag
  EXPECT_EQ(c->sink->sent.size(), before);
  node(*c, Node("message", {{"id", "X1"}}));  // no to → ack with error
  EXPECT_EQ(c->sink->last("ack")->attr_or("error", ""), "400");
  node(*c, Node("message", {{"id", "X2"}, {"to", "123@g.us"}}));
  EXPECT_EQ(c->sink->last("ack")->attr_or("error", ""), "404");
  node(*c, Node("receipt", {{"id", "X3"}, {"to", "@@@"}}));
  EXPECT_EQ(c->sink->last("ack")->attr_or("class", ""), "receipt");
  Node badkeys("iq", {{"type", "set"}, {"xmlns", "encrypt"}});
  badkeys.add_child(Node("skey", {}, core::to_bytes("junk")));
  EXPECT_EQ(iq(*c, badkeys).attr_or("type", ""), "error");
  Node badusync("iq", {{"type", "get"}, {"xmlns", "usync"}});
  EXPECT_EQ(iq(*c, badusync).attr_or("type", ""), "error");
  Node badgroup("iq", {{"type", "set"}, {"xmlns", "w:g2"}, {"to", "999@g.us"}});
  badgroup.add_child(Node("add"));
  EXPECT_EQ(iq(*c, badgroup).attr_or("type", ""), "error");
  Node badmd("iq", {{"type", "set"}, {"xmlns", "md"}});
  badmd.add_child(Node("remove-companion-device", {{"jid", "garbage"}}));
  EXPECT_EQ(iq(*c, badmd).attr_or("type", ""), "error");
  // Registration connections only answer ping/md.
  auto reg = start_registration();
  Node other("iq", {{"id", "z"}, {"type", "get"}, {"xmlns", "usync"}});
  node(*reg, other);
  EXPECT_EQ(reg->sink->last("iq")->attr_or("type", ""), "error");
  node(*reg, Node("message", {{"id", "m"}, {"to", "1@s.whatsapp.net"}}));
  EXPECT_EQ(reg->sink->last("ack"), nullptr);
}

TEST_F(SimTest, StatePersistsAcrossReopen) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("sim-test-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  open(dir);
  const auto root = core::to_bytes(sim->root_public_key());
  const auto static_pub = core::to_bytes(sim->noise_static_key().public_view());
  create("15551234567", "Alice");
  create("15557654321", "Bob");
  auto a = online("15551234567");
  auto b = online("15557654321");
  upload_prekeys(*b, 1, 10);
  Node create_iq("iq", {{"type", "set"}, {"xmlns", "w:g2"}, {"to", "@g.us"}});
  Node cr("create", {{"subject", "Persist"}});
  cr.add_child(Node("participant", {{"jid", "15557654321@s.whatsapp.net"}}));
  create_iq.add_child(std::move(cr));
  const std::string gid = iq(*a, create_iq).child("group")->attr_or("id", "");
  disconnect(*b);
  Node msg("message", {{"id", "P1"}, {"to", "15557654321@s.whatsapp.net"}, {"type", "text"}});
  Node parts("participants");
  Node to("to", {{"jid", "15557654321:" + std::to_string(b->device) + "@s.whatsapp.net"}});
  to.add_child(Node("enc", {{"v", "2"}, {"type", "pkmsg"}}, core::to_bytes("persisted")));
  parts.add_child(std::move(to));
  msg.add_child(std::move(parts));
  node(*a, msg);
  disconnect(*a);
  const auto accounts_before = sim->list_accounts();

  open(dir);
  EXPECT_EQ(core::to_bytes(sim->root_public_key()), root);
  EXPECT_EQ(core::to_bytes(sim->noise_static_key().public_view()), static_pub);
  auto accounts = sim->list_accounts();
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts[0].lid, accounts_before[0].lid);
  EXPECT_EQ(accounts[0].devices.size(), 1u);
  EXPECT_EQ(sim->stats().messages_queued, 1u);
  // Bob logs in with the same keys and gets the queued message.
  login(*b, true);
  const Node* m = b->sink->last("message");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->child("enc")->text(), "persisted");
  Node count("iq", {{"type", "get"}, {"xmlns", "encrypt"}});
  count.add_child(Node("count"));
  EXPECT_EQ(iq(*b, count).child("count")->attr_or("value", ""), "10");
  Node query("iq", {{"type", "get"}, {"xmlns", "w:g2"}, {"to", gid + "@g.us"}});
  query.add_child(Node("query"));
  Node g = iq(*b, query);
  ASSERT_NE(g.child("group"), nullptr);
  EXPECT_EQ(g.child("group")->attr_or("subject", ""), "Persist");
  EXPECT_EQ(g.child("group")->children("participant").size(), 2u);
  // A third device pairs with the next ids (counters persisted).
  auto a2 = pair("15551234567");
  EXPECT_EQ(a2->device, 2);
  sim.reset();
  std::filesystem::remove_all(dir);
}

TEST_F(SimTest, FaultsDropStreamErrorDelayRejectLogin) {
  create("15551234567");
  create("15557654321");
  auto a = online("15551234567");
  auto b = online("15557654321");

  Fault drop;
  drop.kind = Fault::Kind::kDrop;
  drop.phone = "15551234567";
  sim->add_fault(drop);
  EXPECT_TRUE(a->sink->dropped);
  EXPECT_FALSE(b->sink->dropped);
  disconnect(*a);

  Fault se;
  se.kind = Fault::Kind::kStreamError;
  se.phone = "15557654321";
  se.code = 503;
  sim->add_fault(se);
  EXPECT_EQ(b->sink->last("stream:error")->attr_or("code", ""), "503");
  EXPECT_TRUE(b->sink->closed);
  disconnect(*b);

  // Upcoming: the next login of Alice is dropped, the one after succeeds.
  sim->add_fault(drop);
  a->sink = std::make_shared<FakeSink>();
  a->conn = sim->on_connected(a->sink);
  sim->on_client_payload(a->conn, a->noise.public_view(), a->login_payload());
  EXPECT_TRUE(a->sink->dropped);
  EXPECT_EQ(a->sink->last("success"), nullptr);
  disconnect(*a);
  login(*a, true);

  Fault delay;
  delay.kind = Fault::Kind::kDelay;
  delay.ms = 250;
  sim->add_fault(delay);
  EXPECT_EQ(sim->outgoing_delay_ms(a->conn), 250);

  Fault reject;
  reject.kind = Fault::Kind::kRejectLogin;
  reject.phone = "15557654321";
  reject.count = 2;
  sim->add_fault(reject);
  for (int i = 0; i < 2; ++i) {
    b->sink = std::make_shared<FakeSink>();
    b->conn = sim->on_connected(b->sink);
    sim->on_client_payload(b->conn, b->noise.public_view(), b->login_payload());
    ASSERT_NE(b->sink->last("failure"), nullptr);
    EXPECT_EQ(b->sink->last("failure")->attr_or("reason", ""), "401");
    disconnect(*b);
  }
  login(*b, true);
  const Stats s = sim->stats();
  EXPECT_EQ(s.connections_open, 2u);
  EXPECT_GT(s.connections_total, 5u);
  EXPECT_GT(s.frames_in, 0u);
  EXPECT_GT(s.frames_out, 0u);
}

TEST_F(SimTest, MediaUploadDownload) {
  create("15551234567");
  auto c = online("15551234567");
  Node mc("iq", {{"type", "set"}, {"xmlns", "w:m"}});
  mc.add_child(Node("media_conn"));
  const std::string auth = iq(*c, mc).child("media_conn")->attr_or("auth", "");
  EXPECT_EQ(sim->media_upload("image", "tok", "wrong", {1, 2}).status().code(),
            core::StatusCode::kPermissionDenied);
  auto up = sim->media_upload("image", "tok", auth, {1, 2, 3});
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->direct_path.substr(0, 15), "/v/t62.7118-24/");
  EXPECT_NE(up->direct_path.find(".enc?ccb=11-4&oh="), std::string::npos);
  EXPECT_EQ(up->url, "https://127.0.0.1:8443" + up->direct_path);
  auto down = sim->media_download(up->direct_path + "&hash=abc&mms-type=image");
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(*down, (core::Bytes{1, 2, 3}));
  EXPECT_EQ(sim->media_download("/v/t62.7118-24/../../etc/passwd").status().code(),
            core::StatusCode::kNotFound);
  EXPECT_EQ(sim->media_download("/nope").status().code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sim::test
