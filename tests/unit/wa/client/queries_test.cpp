// The contact-check usync IQ and the participating-groups IQ: shapes sent, results parsed,
// error results and hostile shapes.
#include "wa/client/queries.h"

#include <gtest/gtest.h>

namespace wa::client {
namespace {

using binary::Node;

Node user_node(const std::string& jid, const std::string& type, const std::string& lid = "") {
  Node u("user", {{"jid", jid}});
  if (!type.empty()) u.add_child(Node("contact", {{"type", type}}));
  if (!lid.empty()) u.add_child(Node("lid", {{"val", lid}}));
  return u;
}

Node usync_result(Node::Children users) {
  Node list("list", {}, std::move(users));
  Node usync("usync", {{"sid", "s"}}, Node::Children{Node("result"), std::move(list)});
  return Node("iq", {{"type", "result"}, {"id", "7"}}, Node::Children{std::move(usync)});
}

TEST(PhoneNumber, NormalisesCommonForms) {
  EXPECT_EQ(*normalize_phone_number("+1 (555) 123-4567"), "15551234567");
  EXPECT_EQ(*normalize_phone_number("4915112345678"), "4915112345678");
  EXPECT_EQ(*normalize_phone_number("49.151.1234.5678"), "4915112345678");
}

TEST(PhoneNumber, RefusesGarbage) {
  for (std::string bad : {"", "+", "abc", "12345", "1234567890123456", "1555+1234567",
                          "1555123@s.whatsapp.net", "15551234567\n", "++15551234567"}) {
    EXPECT_FALSE(normalize_phone_number(bad).ok()) << bad;
  }
}

TEST(ContactCheck, QueryShape) {
  Node q = build_contact_check_query({"15551234567", "4915112345678"}, "sid-1");
  EXPECT_EQ(q.tag, "iq");
  EXPECT_EQ(q.attr_or("xmlns", ""), "usync");
  EXPECT_EQ(q.attr_or("type", ""), "get");
  EXPECT_EQ(q.attr_or("to", ""), "@s.whatsapp.net");
  EXPECT_EQ(q.attr_or("id", "none"), "") << "Client::query assigns the id";
  const Node* usync = q.child("usync");
  ASSERT_NE(usync, nullptr);
  EXPECT_EQ(usync->attr_or("context", ""), "interactive");
  EXPECT_EQ(usync->attr_or("mode", ""), "query");
  EXPECT_EQ(usync->attr_or("sid", ""), "sid-1");
  const Node* query = usync->child("query");
  ASSERT_NE(query, nullptr);
  EXPECT_NE(query->child("contact"), nullptr);
  EXPECT_NE(query->child("lid"), nullptr);
  EXPECT_EQ(query->child("devices"), nullptr);
  auto users = usync->child("list")->children("user");
  ASSERT_EQ(users.size(), 2u);
  EXPECT_FALSE(users[0]->has_attr("jid"));
  EXPECT_EQ(users[0]->child("contact")->text(), "+15551234567");
  EXPECT_EQ(users[1]->child("contact")->text(), "+4915112345678");
}

TEST(ContactCheck, ParsesExistingAndMissingInAskedOrder) {
  Node::Children users;
  users.push_back(user_node("4915112345678@s.whatsapp.net", "out"));
  users.push_back(user_node("15551234567@s.whatsapp.net", "in", "1234567890@lid"));
  auto r = parse_contact_check(usync_result(std::move(users)),
                               {"15551234567", "4915112345678", "447700900123"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].number, "15551234567");
  EXPECT_TRUE((*r)[0].exists);
  EXPECT_EQ((*r)[0].jid, "15551234567@s.whatsapp.net");
  EXPECT_EQ((*r)[0].lid, "1234567890@lid");
  EXPECT_FALSE((*r)[1].exists);
  EXPECT_EQ((*r)[1].jid, "");
  EXPECT_EQ((*r)[1].lid, "");
  EXPECT_FALSE((*r)[2].exists) << "not listed by the server";
}

TEST(ContactCheck, IgnoresHostileEntries) {
  Node::Children users;
  users.push_back(user_node("15551234567@evil.example", "in"));  // wrong server
  users.push_back(user_node("", "in"));
  users.push_back(user_node("15551234567@s.whatsapp.net", ""));  // no contact type
  users.push_back(user_node("4915112345678@s.whatsapp.net", "in", "not-a-lid"));
  users.push_back(Node("user"));
  auto r = parse_contact_check(usync_result(std::move(users)), {"15551234567", "4915112345678"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].exists);
  EXPECT_TRUE((*r)[1].exists);
  EXPECT_EQ((*r)[1].lid, "") << "a lid value not on the lid server is dropped";
}

TEST(ContactCheck, ErrorsAndMissingUsync) {
  Node err("iq", {{"type", "error"}}, Node::Children{Node("error", {{"code", "500"}})});
  auto r = parse_contact_check(err, {"15551234567"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("500"), std::string::npos);
  EXPECT_FALSE(parse_contact_check(Node("iq", {{"type", "result"}}), {"1"}).ok());
  EXPECT_FALSE(parse_contact_check(Node("message"), {"1"}).ok());
  // An empty list: everything is absent.
  Node empty("iq", {{"type", "result"}}, Node::Children{Node("usync")});
  auto e = parse_contact_check(empty, {"15551234567"});
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE((*e)[0].exists);
}

TEST(ParticipatingGroups, QueryShape) {
  Node q = build_participating_groups_query();
  EXPECT_EQ(q.attr_or("xmlns", ""), "w:g2");
  EXPECT_EQ(q.attr_or("to", ""), "@g.us");
  EXPECT_EQ(q.attr_or("type", ""), "get");
  const Node* p = q.child("participating");
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->child("participants"), nullptr);
  EXPECT_NE(p->child("description"), nullptr);
}

TEST(ParticipatingGroups, ParsesGroupsAndSkipsBadOnes) {
  Node g1("group", {{"id", "120363000000000001"},
                    {"subject", "Team"},
                    {"creator", "111@lid"},
                    {"creation", "1700000000"},
                    {"addressing_mode", "lid"}});
  g1.add_child(Node("participant", {{"jid", "111@lid"},
                                    {"phone_number", "15551234567@s.whatsapp.net"},
                                    {"type", "superadmin"}}));
  g1.add_child(Node("participant", {{"jid", "222@lid"}}));
  Node bad("group", {{"subject", "no id"}});
  Node groups("groups", {}, Node::Children{std::move(g1), std::move(bad)});
  Node iq("iq", {{"type", "result"}}, Node::Children{std::move(groups)});
  auto r = parse_participating_groups(iq);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].jid, "120363000000000001@g.us");
  EXPECT_EQ((*r)[0].subject, "Team");
  EXPECT_EQ((*r)[0].creation, 1700000000);
  ASSERT_EQ((*r)[0].participants.size(), 2u);
  EXPECT_EQ((*r)[0].participants[0].role, "superadmin");
  EXPECT_EQ((*r)[0].participants[0].phone_number, "15551234567@s.whatsapp.net");
}

TEST(ParticipatingGroups, EmptyAndError) {
  auto none = parse_participating_groups(Node("iq", {{"type", "result"}}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  Node err("iq", {{"type", "error"}}, Node::Children{Node("error", {{"code", "401"}})});
  EXPECT_FALSE(parse_participating_groups(err).ok());
}

}  // namespace
}  // namespace wa::client
