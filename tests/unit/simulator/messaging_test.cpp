// Pre-keys, usync, 1:1 and group routing, offline queues, receipts, presence.
#include "tests/unit/simulator/simulator_test_util.h"

namespace sim::test {
namespace {

class MessagingTest : public SimTest {
 protected:
  void SetUp() override {
    create("15551234567", "Alice");
    create("15557654321", "Bob");
    alice_lid = lid_of("15551234567");
    bob_lid = lid_of("15557654321");
  }
  std::string lid_of(const std::string& phone) {
    for (const auto& a : sim->list_accounts())
      if (a.phone == phone) return a.lid;
    return "";
  }
  static Node enc(const std::string& type, const std::string& payload) {
    return Node("enc", {{"v", "2"}, {"type", type}}, core::to_bytes(payload));
  }
  // <message id to type><participants><to jid>enc</to>…</participants></message>
  static Node direct(const std::string& id, const std::string& to,
                     const std::vector<std::pair<std::string, std::string>>& encs) {
    Node msg("message", {{"id", id}, {"to", to}, {"type", "text"}});
    Node parts("participants");
    for (const auto& [jid, payload] : encs) {
      Node t("to", {{"jid", jid}});
      t.add_child(enc("pkmsg", payload));
      parts.add_child(std::move(t));
    }
    msg.add_child(std::move(parts));
    msg.add_child(Node("device-identity", {}, core::to_bytes("adv")));
    return msg;
  }
  std::string alice_lid, bob_lid;
};

TEST_F(MessagingTest, PreKeyUploadCountFetchConsume) {
  auto a = online("15551234567");
  auto b = online("15557654321");
  upload_prekeys(*b, 10, 6);
  Node count("iq", {{"type", "get"}, {"xmlns", "encrypt"}});
  count.add_child(Node("count"));
  EXPECT_EQ(iq(*b, count).child("count")->attr_or("value", ""), "6");
  // Duplicate ids overwrite.
  upload_prekeys(*b, 10, 2);
  EXPECT_EQ(iq(*b, count).child("count")->attr_or("value", ""), "6");

  Node digest("iq", {{"type", "get"}, {"xmlns", "encrypt"}});
  digest.add_child(Node("digest"));
  EXPECT_NE(iq(*b, digest).child("digest"), nullptr);

  auto fetch = [&](const std::string& jid) {
    Node q("iq", {{"type", "get"}, {"xmlns", "encrypt"}});
    Node key("key");
    key.add_child(Node("user", {{"jid", jid}, {"reason", "identity"}}));
    q.add_child(std::move(key));
    return iq(*a, q);
  };
  const std::string bob_dev = bob_lid + ":" + std::to_string(b->device) + "@lid";
  Node r = fetch(bob_dev);
  const Node* user = r.child("list")->child("user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->attr_or("jid", ""), bob_dev);  // echoed exactly
  EXPECT_EQ(*user->child("registration")->bytes(), core::uint_be_bytes(b->registration_id, 4));
  EXPECT_EQ(*user->child("type")->bytes(), core::Bytes{5});
  EXPECT_EQ(*user->child("identity")->bytes(), core::to_bytes(b->identity.public_view()));
  EXPECT_EQ(*user->child("skey")->child("value")->bytes(), core::to_bytes(b->skey.public_view()));
  EXPECT_EQ(*user->child("skey")->child("signature")->bytes(), b->skey_sig);
  EXPECT_EQ(*user->child("skey")->child("id")->bytes(), core::uint_be_bytes(1, 3));
  ASSERT_NE(user->child("key"), nullptr);
  EXPECT_EQ(*user->child("key")->child("id")->bytes(), core::uint_be_bytes(10, 3));
  EXPECT_EQ(iq(*b, count).child("count")->attr_or("value", ""), "5");
  b->sink->take();

  // PN form works too; the pool drops below 5 → one encrypt notification.
  r = fetch("15557654321:" + std::to_string(b->device) + "@s.whatsapp.net");
  ASSERT_NE(r.child("list")->child("user"), nullptr);
  auto notes = find_all(b->sink->take(), "notification");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0]->attr_or("type", ""), "encrypt");
  EXPECT_EQ(notes[0]->child("count")->attr_or("value", ""), "4");
  for (int i = 0; i < 4; ++i) fetch(bob_dev);
  r = fetch(bob_dev);
  user = r.child("list")->child("user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->child("key"), nullptr);  // pool empty: bundle without one-time key
  EXPECT_NE(user->child("skey"), nullptr);
  EXPECT_EQ(find_all(b->sink->take(), "notification").size(), 0u);  // notified once

  // Device 0 of a non-virtual account and unknown users are omitted, not errors.
  r = fetch(bob_lid + "@lid");
  EXPECT_EQ(r.attr_or("type", ""), "result");
  EXPECT_EQ(r.child("list")->child("user"), nullptr);
  r = fetch("19999999999@s.whatsapp.net");
  EXPECT_EQ(r.child("list")->child("user"), nullptr);
}

TEST_F(MessagingTest, UsyncShapes) {
  auto a = online("15551234567");
  auto b1 = online("15557654321");
  auto b2 = online("15557654321");
  Node q("iq", {{"type", "get"}, {"xmlns", "usync"}});
  Node usync(
      "usync",
      {{"sid", "s1"}, {"mode", "query"}, {"context", "message"}, {"last", "true"}, {"index", "0"}});
  Node query("query");
  query.add_child(Node("devices", {{"version", "2"}}));
  query.add_child(Node("lid"));
  query.add_child(Node("contact"));
  usync.add_child(std::move(query));
  Node list("list");
  list.add_child(Node("user", {{"jid", "15557654321@s.whatsapp.net"}}));
  list.add_child(Node("user", {{"jid", bob_lid + "@lid"}}));
  Node by_phone("user");
  by_phone.add_child(Node("contact", {}, core::to_bytes("+15551234567")));
  list.add_child(std::move(by_phone));
  Node unknown("user");
  unknown.add_child(Node("contact", {}, core::to_bytes("+19990001111")));
  list.add_child(std::move(unknown));
  usync.add_child(std::move(list));
  q.add_child(std::move(usync));
  Node r = iq(*a, q);
  const Node* u = r.child("usync");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->attr_or("sid", ""), "s1");
  auto users = u->child("list")->children("user");
  ASSERT_EQ(users.size(), 4u);
  EXPECT_EQ(users[0]->attr_or("jid", ""), "15557654321@s.whatsapp.net");
  auto devices = users[0]->child("devices")->child("device-list")->children("device");
  ASSERT_EQ(devices.size(), 2u);  // companions only: Bob's phone is not a Signal device
  EXPECT_EQ(devices[0]->attr_or("id", ""), std::to_string(b1->device));
  EXPECT_EQ(devices[0]->attr_or("key-index", ""), "1");
  EXPECT_EQ(devices[1]->attr_or("key-index", ""), "2");
  EXPECT_EQ(users[0]->child("lid")->attr_or("val", ""), bob_lid + "@lid");
  EXPECT_EQ(users[0]->child("contact")->attr_or("type", ""), "in");
  EXPECT_EQ(users[1]->attr_or("jid", ""), bob_lid + "@lid");
  EXPECT_EQ(users[1]->child("devices")->child("device-list")->children("device").size(), 2u);
  EXPECT_EQ(users[2]->attr_or("jid", ""), "15551234567@s.whatsapp.net");
  EXPECT_EQ(users[2]->child("contact")->attr_or("type", ""), "in");
  EXPECT_EQ(users[3]->attr_or("jid", ""), "19990001111@s.whatsapp.net");
  EXPECT_EQ(users[3]->child("contact")->attr_or("type", ""), "out");
  EXPECT_EQ(users[3]->child("lid"), nullptr);
}

TEST_F(MessagingTest, DirectRoutingWithDsmCopies) {
  auto a1 = online("15551234567");
  auto a2 = online("15551234567");
  auto b1 = online("15557654321");
  auto b2 = online("15557654321");
  a1->sink->take();
  const std::string a1_pn = "15551234567:" + std::to_string(a1->device) + "@s.whatsapp.net";
  const std::string a2_pn = "15551234567:" + std::to_string(a2->device) + "@s.whatsapp.net";
  const std::string b1_pn = "15557654321:" + std::to_string(b1->device) + "@s.whatsapp.net";
  const std::string b2_lid = bob_lid + ":" + std::to_string(b2->device) + "@lid";
  node(*a1, direct("3EB0AA", "15557654321@s.whatsapp.net",
                   {{b1_pn, "to-b1"}, {b2_lid, "to-b2"}, {a2_pn, "dsm"}, {a1_pn, "self"}}));

  auto sent = a1->sink->take();
  ASSERT_EQ(sent.size(), 1u);  // only the server ack: the sender device gets nothing
  EXPECT_EQ(sent[0].tag, "ack");
  EXPECT_EQ(sent[0].attr_or("class", ""), "message");
  EXPECT_EQ(sent[0].attr_or("id", ""), "3EB0AA");
  EXPECT_EQ(sent[0].attr_or("from", ""), "15557654321@s.whatsapp.net");

  for (auto* b : {b1.get(), b2.get()}) {
    auto got = b->sink->take();
    const Node* m = find(got, "message");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->attr_or("from", ""), a1_pn);
    EXPECT_EQ(m->attr_or("sender_lid", ""), alice_lid + "@lid");
    EXPECT_EQ(m->attr_or("notify", ""), "Alice");
    EXPECT_EQ(m->attr_or("type", ""), "text");
    EXPECT_FALSE(m->has_attr("recipient"));
    EXPECT_FALSE(m->has_attr("offline"));
    EXPECT_EQ(m->child("enc")->text(), b == b1.get() ? "to-b1" : "to-b2");
    EXPECT_EQ(m->child("device-identity")->text(), "adv");
  }
  auto got = a2->sink->take();
  const Node* dsm = find(got, "message");
  ASSERT_NE(dsm, nullptr);
  EXPECT_EQ(dsm->attr_or("from", ""), a1_pn);
  EXPECT_EQ(dsm->attr_or("recipient", ""), "15557654321@s.whatsapp.net");
  EXPECT_EQ(dsm->child("enc")->text(), "dsm");
  EXPECT_EQ(sim->stats().messages_routed, 1u);

  // LID-addressed chat: from is the LID device JID with sender_pn.
  node(*a1, direct("3EB0BB", bob_lid + "@lid", {{b1_pn, "lid-chat"}}));
  const Node* m = find(b1->sink->take(), "message");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->attr_or("from", ""), alice_lid + ":" + std::to_string(a1->device) + "@lid");
  EXPECT_EQ(m->attr_or("sender_pn", ""), "15551234567@s.whatsapp.net");
}

TEST_F(MessagingTest, RetryResendToOneDevice) {
  auto a = online("15551234567");
  auto b1 = online("15557654321");
  auto b2 = online("15557654321");
  Node msg("message", {{"id", "R1"},
                       {"to", "15557654321:" + std::to_string(b2->device) + "@s.whatsapp.net"},
                       {"type", "text"},
                       {"device_fanout", "false"}});
  msg.add_child(Node("enc", {{"v", "2"}, {"type", "msg"}, {"count", "1"}}, core::to_bytes("re")));
  node(*a, msg);
  EXPECT_EQ(find(b1->sink->take(), "message"), nullptr);
  const Node* m = find(b2->sink->take(), "message");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->child("enc")->text(), "re");
}

TEST_F(MessagingTest, OfflineQueueIbOfflineAndDequeue) {
  auto a = online("15551234567");
  auto b = online("15557654321");
  disconnect(*b);
  const std::string b_pn = "15557654321:" + std::to_string(b->device) + "@s.whatsapp.net";
  node(*a, direct("M1", "15557654321@s.whatsapp.net", {{b_pn, "one"}}));
  node(*a, direct("M2", "15557654321@s.whatsapp.net", {{b_pn, "two"}}));
  EXPECT_EQ(sim->stats().messages_queued, 2u);

  login(*b, /*activate=*/false);
  EXPECT_EQ(find(b->sink->sent, "message"), nullptr);  // passive: held until active
  Node active("iq", {{"type", "set"}, {"xmlns", "passive"}});
  active.add_child(Node("active"));
  iq(*b, active);
  auto msgs = find_all(b->sink->sent, "message");
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]->attr_or("id", ""), "M1");
  EXPECT_EQ(msgs[1]->attr_or("id", ""), "M2");
  EXPECT_FALSE(msgs[0]->attr_or("offline", "").empty());
  const Node* ib = b->sink->last("ib");
  ASSERT_NE(ib, nullptr);
  EXPECT_EQ(ib->child("offline")->attr_or("count", ""), "2");
  EXPECT_EQ(sim->stats().messages_queued, 0u);

  // Receipt for M1, ack for M2 → both dequeued; a reconnect gets nothing again.
  node(*b, Node("receipt", {{"id", "M1"}, {"to", "15551234567@s.whatsapp.net"}}));
  node(*b, Node("ack", {{"class", "message"}, {"id", "M2"}, {"to", "15551234567@s.whatsapp.net"}}));
  disconnect(*b);
  login(*b, true);
  EXPECT_EQ(find(b->sink->sent, "message"), nullptr);
  EXPECT_EQ(b->sink->last("ib")->child("offline")->attr_or("count", ""), "0");
}

TEST_F(MessagingTest, UnconfirmedMessageIsRedelivered) {
  auto a = online("15551234567");
  auto b = online("15557654321");
  const std::string b_pn = "15557654321:" + std::to_string(b->device) + "@s.whatsapp.net";
  node(*a, direct("M1", "15557654321@s.whatsapp.net", {{b_pn, "one"}}));
  ASSERT_NE(find(b->sink->take(), "message"), nullptr);
  disconnect(*b);
  login(*b, true);
  auto msgs = find_all(b->sink->sent, "message");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->attr_or("id", ""), "M1");
}

TEST_F(MessagingTest, ReceiptsForwardedWithInactiveRewrite) {
  auto a = online("15551234567");
  auto a2 = online("15551234567");
  auto b = online("15557654321");
  a->sink->take();
  a2->sink->take();
  Node r("receipt", {{"id", "M1"}, {"to", "15551234567@s.whatsapp.net"}, {"type", "inactive"}});
  node(*b, r);
  const Node* ack = find(b->sink->take(), "ack");
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->attr_or("class", ""), "receipt");
  EXPECT_EQ(ack->attr_or("id", ""), "M1");
  for (auto* c : {a.get(), a2.get()}) {
    const Node* fwd = find(c->sink->take(), "receipt");
    ASSERT_NE(fwd, nullptr);
    EXPECT_EQ(fwd->attr_or("from", ""), "15557654321@s.whatsapp.net");
    EXPECT_EQ(fwd->attr_or("id", ""), "M1");
    EXPECT_FALSE(fwd->has_attr("type"));  // inactive → plain delivery
    EXPECT_FALSE(fwd->attr_or("t", "").empty());
  }
  // Read receipt with a list, LID-addressed.
  Node read("receipt", {{"id", "M2"}, {"to", alice_lid + "@lid"}, {"type", "read"}});
  Node list("list");
  list.add_child(Node("item", {{"id", "M3"}}));
  read.add_child(std::move(list));
  node(*b, read);
  const Node* fwd = find(a->sink->take(), "receipt");
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->attr_or("from", ""), bob_lid + "@lid");
  EXPECT_EQ(fwd->attr_or("type", ""), "read");
  EXPECT_EQ(fwd->child("list")->child("item")->attr_or("id", ""), "M3");
  EXPECT_NE(find(a2->sink->take(), "receipt"), nullptr);

  // Retry receipts go to the named device only, from the failing device.
  const std::string a2_pn = "15551234567:" + std::to_string(a2->device) + "@s.whatsapp.net";
  Node retry("receipt", {{"id", "M4"}, {"to", a2_pn}, {"type", "retry"}});
  retry.add_child(Node("retry", {{"count", "1"}, {"id", "M4"}, {"t", "1"}, {"v", "1"}}));
  retry.add_child(Node("registration", {}, core::uint_be_bytes(b->registration_id, 4)));
  node(*b, retry);
  EXPECT_EQ(find(a->sink->take(), "receipt"), nullptr);
  const Node* rf = find(a2->sink->take(), "receipt");
  ASSERT_NE(rf, nullptr);
  EXPECT_EQ(rf->attr_or("type", ""), "retry");
  EXPECT_EQ(rf->attr_or("from", ""),
            "15557654321:" + std::to_string(b->device) + "@s.whatsapp.net");
  EXPECT_NE(rf->child("retry"), nullptr);
  EXPECT_NE(rf->child("registration"), nullptr);
}

TEST_F(MessagingTest, ReceiptQueuedForOfflineSender) {
  auto a = online("15551234567");
  auto b = online("15557654321");
  disconnect(*a);
  node(*b, Node("receipt", {{"id", "M1"}, {"to", "15551234567@s.whatsapp.net"}}));
  EXPECT_EQ(sim->stats().messages_queued, 1u);
  login(*a, true);
  const Node* r = a->sink->last("receipt");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->attr_or("id", ""), "M1");
  EXPECT_EQ(a->sink->last("ib")->child("offline")->attr_or("count", ""), "1");
  // Receipts are not kept after delivery.
  disconnect(*a);
  login(*a, true);
  EXPECT_EQ(a->sink->last("receipt"), nullptr);
}

TEST_F(MessagingTest, GroupCreateNotifyFanOutAndReceipts) {
  create("15550001111", "Carol");
  auto a = online("15551234567");
  auto a2 = online("15551234567");
  auto b = online("15557654321");
  auto c = online("15550001111");
  for (auto* x : {a.get(), a2.get(), b.get(), c.get()}) x->sink->take();

  Node create_iq("iq", {{"type", "set"}, {"xmlns", "w:g2"}, {"to", "@g.us"}});
  Node cr("create", {{"subject", "Team"}, {"key", "K1"}});
  cr.add_child(Node("participant", {{"jid", "15557654321@s.whatsapp.net"}}));
  cr.add_child(Node("participant", {{"jid", lid_of("15550001111") + "@lid"}}));
  create_iq.add_child(std::move(cr));
  Node r = iq(*a, create_iq);
  const Node* g = r.child("group");
  ASSERT_NE(g, nullptr);
  const std::string gid = g->attr_or("id", "");
  EXPECT_EQ(gid.substr(0, 6), "120363");
  EXPECT_EQ(gid.size(), 18u);
  EXPECT_EQ(g->attr_or("subject", ""), "Team");
  EXPECT_EQ(g->attr_or("addressing_mode", ""), "lid");
  EXPECT_EQ(g->attr_or("creator", ""), alice_lid + "@lid");
  EXPECT_EQ(g->attr_or("creator_pn", ""), "15551234567@s.whatsapp.net");
  auto parts = g->children("participant");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0]->attr_or("jid", ""), alice_lid + "@lid");
  EXPECT_EQ(parts[0]->attr_or("phone_number", ""), "15551234567@s.whatsapp.net");
  EXPECT_EQ(parts[0]->attr_or("type", ""), "superadmin");
  EXPECT_EQ(parts[1]->attr_or("jid", ""), bob_lid + "@lid");

  for (auto* x : {a2.get(), b.get(), c.get()}) {
    const Node* n = find(x->sink->take(), "notification");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->attr_or("type", ""), "w:gp2");
    EXPECT_EQ(n->attr_or("from", ""), gid + "@g.us");
    EXPECT_EQ(n->attr_or("participant", ""), alice_lid + "@lid");
    EXPECT_EQ(n->attr_or("participant_pn", ""), "15551234567@s.whatsapp.net");
    ASSERT_NE(n->child("create"), nullptr);
    EXPECT_NE(n->child("create")->child("group"), nullptr);
  }
  EXPECT_EQ(find(a->sink->take(), "notification"), nullptr);

  // Metadata query and participating.
  Node query("iq", {{"type", "get"}, {"xmlns", "w:g2"}, {"to", gid + "@g.us"}});
  query.add_child(Node("query", {{"request", "interactive"}}));
  EXPECT_EQ(iq(*b, query).child("group")->attr_or("id", ""), gid);
  Node part("iq", {{"type", "get"}, {"xmlns", "w:g2"}, {"to", "@g.us"}});
  part.add_child(Node("participating"));
  EXPECT_EQ(iq(*c, part).child("groups")->children("group").size(), 1u);

  // Group message: skmsg for all, an SKDM for Bob and (Baileys quirk) the sender itself.
  const std::string a_lid_dev = alice_lid + ":" + std::to_string(a->device) + "@lid";
  const std::string b_lid_dev = bob_lid + ":" + std::to_string(b->device) + "@lid";
  Node msg("message",
           {{"id", "G1"}, {"to", gid + "@g.us"}, {"type", "text"}, {"addressing_mode", "lid"}});
  msg.add_child(enc("skmsg", "sk"));
  Node ps("participants");
  for (const auto& jid : {b_lid_dev, a_lid_dev}) {
    Node t("to", {{"jid", jid}});
    t.add_child(enc("pkmsg", "skdm:" + jid));
    ps.add_child(std::move(t));
  }
  msg.add_child(std::move(ps));
  node(*a, msg);
  auto sent = a->sink->take();
  EXPECT_EQ(find(sent, "message"), nullptr);
  ASSERT_NE(find(sent, "ack"), nullptr);
  const Node* bm = find(b->sink->take(), "message");
  ASSERT_NE(bm, nullptr);
  EXPECT_EQ(bm->attr_or("from", ""), gid + "@g.us");
  EXPECT_EQ(bm->attr_or("participant", ""), a_lid_dev);
  EXPECT_EQ(bm->attr_or("participant_pn", ""), "15551234567@s.whatsapp.net");
  EXPECT_EQ(bm->attr_or("addressing_mode", ""), "lid");
  auto encs = bm->children("enc");
  ASSERT_EQ(encs.size(), 2u);
  EXPECT_EQ(encs[0]->attr_or("type", ""), "pkmsg");  // SKDM first
  EXPECT_EQ(encs[1]->attr_or("type", ""), "skmsg");
  for (auto* x : {a2.get(), c.get()}) {
    const Node* m = find(x->sink->take(), "message");
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(m->children("enc").size(), 1u);
    EXPECT_EQ(m->child("enc")->attr_or("type", ""), "skmsg");
  }

  // Group receipt → from=group, participant=receiver.
  node(*c, Node("receipt", {{"id", "G1"}, {"to", gid + "@g.us"}, {"participant", a_lid_dev}}));
  const Node* gr = find(a->sink->take(), "receipt");
  ASSERT_NE(gr, nullptr);
  EXPECT_EQ(gr->attr_or("from", ""), gid + "@g.us");
  EXPECT_EQ(gr->attr_or("participant", ""), lid_of("15550001111") + "@lid");

  // Remove Carol: notification to members and to Carol; her later messages fail with 403.
  Node rm("iq", {{"type", "set"}, {"xmlns", "w:g2"}, {"to", gid + "@g.us"}});
  Node rmop("remove");
  rmop.add_child(Node("participant", {{"jid", "15550001111@s.whatsapp.net"}}));
  rm.add_child(std::move(rmop));
  Node rr = iq(*a, rm);
  ASSERT_NE(rr.child("remove"), nullptr);
  EXPECT_FALSE(rr.child("remove")->child("participant")->has_attr("error"));
  EXPECT_NE(find(c->sink->take(), "notification"), nullptr);
  EXPECT_NE(find(b->sink->take(), "notification"), nullptr);
  node(*c, Node("message", {{"id", "G2"}, {"to", gid + "@g.us"}, {"type", "text"}}));
  EXPECT_EQ(c->sink->last("ack")->attr_or("error", ""), "403");

  // Non-admin Bob cannot add; subject change notifies.
  Node add("iq", {{"type", "set"}, {"xmlns", "w:g2"}, {"to", gid + "@g.us"}});
  Node addop("add");
  addop.add_child(Node("participant", {{"jid", "15550001111@s.whatsapp.net"}}));
  add.add_child(std::move(addop));
  EXPECT_EQ(iq(*b, add).attr_or("type", ""), "error");
  Node subj("iq", {{"type", "set"}, {"xmlns", "w:g2"}, {"to", gid + "@g.us"}});
  subj.add_child(Node("subject", {}, core::to_bytes("New")));
  EXPECT_EQ(iq(*b, subj).attr_or("type", ""), "result");
  const Node* sn = find(a->sink->take(), "notification");
  ASSERT_NE(sn, nullptr);
  EXPECT_EQ(sn->child("subject")->attr_or("subject", ""), "New");

  // Leave.
  Node leave("iq", {{"type", "set"}, {"xmlns", "w:g2"}, {"to", "@g.us"}});
  Node lop("leave");
  lop.add_child(Node("group", {{"id", gid + "@g.us"}}));
  leave.add_child(std::move(lop));
  EXPECT_EQ(iq(*b, leave).attr_or("type", ""), "result");
  EXPECT_EQ(iq(*b, query).attr_or("type", ""), "error");
}

TEST_F(MessagingTest, PresenceAndChatstate) {
  auto a = online("15551234567");
  auto b = online("15557654321");
  Node sub("presence", {{"type", "subscribe"}, {"to", "15551234567@s.whatsapp.net"}});
  node(*b, sub);
  const Node* p = b->sink->last("presence");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->attr_or("type", ""), "unavailable");
  b->sink->take();
  node(*a, Node("presence", {{"type", "available"}, {"name", "Alice A."}}));
  p = find(b->sink->take(), "presence");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->attr_or("from", ""), "15551234567@s.whatsapp.net");
  EXPECT_FALSE(p->has_attr("type"));

  Node cs("chatstate", {{"to", "15557654321@s.whatsapp.net"}});
  cs.add_child(Node("composing"));
  node(*a, cs);
  const Node* got = find(b->sink->take(), "chatstate");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->attr_or("from", ""), "15551234567@s.whatsapp.net");
  EXPECT_NE(got->child("composing"), nullptr);

  // The learnt push name is used as notify.
  const std::string b_pn = "15557654321:" + std::to_string(b->device) + "@s.whatsapp.net";
  node(*a, direct("N1", "15557654321@s.whatsapp.net", {{b_pn, "x"}}));
  EXPECT_EQ(find(b->sink->take(), "message")->attr_or("notify", ""), "Alice A.");
}

}  // namespace
}  // namespace sim::test
