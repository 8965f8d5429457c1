// Virtual contacts: a companion with a real Signal stack talks to a virtual phone.
#include "proto/message.pb.h"
#include "tests/unit/simulator/simulator_test_util.h"
#include "wa/signal/address.h"
#include "wa/signal/cipher.h"
#include "wa/signal/keys.h"
#include "wa/signal/padding.h"
#include "wa/store/in_memory_store.h"

namespace sim::test {
namespace {

class VirtualTest : public SimTest {
 protected:
  void SetUp() override {
    create("15551234567", "Alice");
    create("15550009999", "Echo", VirtualKind::kEcho);
    for (const auto& a : sim->list_accounts())
      if (a.phone == "15550009999") echo_lid = a.lid;
    alice = online("15551234567");
    // Alice's real Signal state: the keys the companion registered with, plus pre-keys.
    ASSERT_TRUE(wa::signal::save_signed_pre_key(store, {1, alice->skey, alice->skey_sig}, 1).ok());
    auto keys = wa::signal::generate_pre_keys(100, 5, random);
    ASSERT_TRUE(wa::signal::save_pre_keys(store, keys).ok());
    Node up("iq", {{"type", "set"}, {"xmlns", "encrypt"}});
    Node list("list");
    for (const auto& k : keys) {
      Node key("key");
      key.add_child(Node("id", {}, core::uint_be_bytes(k.id, 3)));
      key.add_child(Node("value", {}, core::to_bytes(k.key_pair.public_view())));
      list.add_child(std::move(key));
    }
    up.add_child(std::move(list));
    iq(*alice, up);
    signal = wa::signal::SignalProtocol::create(store, {alice->identity, alice->registration_id},
                                                &random)
                 .value();
    alice->sink->take();
  }

  std::string decrypt_text(const Node& msg) {
    const Node* enc = msg.child("enc");
    if (!enc || !enc->bytes()) return "<no enc>";
    auto addr = wa::signal::address_from_jid(echo_lid + "@lid").value();
    auto type = wa::signal::parse_message_type(enc->attr_or("type", "")).value();
    auto plain = signal->decrypt(addr, type, *enc->bytes());
    if (!plain.ok()) return "<" + plain.status().to_string() + ">";
    auto unpadded = wa::signal::unpad(plain->plaintext).value();
    waproto::Message m;
    m.ParseFromArray(unpadded.data(), static_cast<int>(unpadded.size()));
    return m.conversation();
  }

  wa::store::InMemoryStore store;
  std::unique_ptr<wa::signal::SignalProtocol> signal;
  std::unique_ptr<Companion> alice;
  std::string echo_lid;
};

TEST_F(VirtualTest, EchoRepliesAndVirtualSend) {
  // usync lists the virtual phone as device 0.
  Node q("iq", {{"type", "get"}, {"xmlns", "usync"}});
  Node usync("usync", {{"sid", "1"}, {"mode", "query"}, {"context", "message"}});
  Node query("query");
  query.add_child(Node("devices", {{"version", "2"}}));
  usync.add_child(std::move(query));
  Node ulist("list");
  ulist.add_child(Node("user", {{"jid", "15550009999@s.whatsapp.net"}}));
  usync.add_child(std::move(ulist));
  q.add_child(std::move(usync));
  Node ur = iq(*alice, q);
  auto devs = ur.child("usync")
                  ->child("list")
                  ->child("user")
                  ->child("devices")
                  ->child("device-list")
                  ->children("device");
  ASSERT_EQ(devs.size(), 1u);
  EXPECT_EQ(devs[0]->attr_or("id", ""), "0");

  // Fetch the phone's bundle (LID form, as Baileys does) and start a session.
  Node fetch("iq", {{"type", "get"}, {"xmlns", "encrypt"}});
  Node key("key");
  key.add_child(Node("user", {{"jid", echo_lid + "@lid"}}));
  fetch.add_child(std::move(key));
  Node r = iq(*alice, fetch);
  const Node* user = r.child("list")->child("user");
  ASSERT_NE(user, nullptr);
  ASSERT_NE(user->child("key"), nullptr);
  wa::signal::PreKeyBundle bundle;
  bundle.registration_id =
      static_cast<uint32_t>(core::get_uint_be(*user->child("registration")->bytes(), 4));
  bundle.device_id = 0;
  bundle.identity_key = *user->child("identity")->bytes();
  const Node* skey = user->child("skey");
  bundle.signed_pre_key = {static_cast<uint32_t>(core::get_uint_be(*skey->child("id")->bytes(), 3)),
                           *skey->child("value")->bytes(), *skey->child("signature")->bytes()};
  bundle.pre_key = wa::signal::BundlePreKey{
      static_cast<uint32_t>(core::get_uint_be(*user->child("key")->child("id")->bytes(), 3)),
      *user->child("key")->child("value")->bytes()};
  auto addr = wa::signal::address_from_jid(echo_lid + "@lid").value();
  ASSERT_TRUE(signal->process_bundle(addr, bundle).ok());

  waproto::Message m;
  m.mutable_extended_text_message()->set_text("hello echo");
  auto enc = signal->encrypt(addr, wa::signal::pad(core::as_view(m.SerializeAsString()), random));
  ASSERT_TRUE(enc.ok());
  Node msg("message", {{"id", "3EB0E1"}, {"to", "15550009999@s.whatsapp.net"}, {"type", "text"}});
  Node parts("participants");
  Node to("to", {{"jid", "15550009999@s.whatsapp.net"}});
  to.add_child(Node("enc", {{"v", "2"}, {"type", std::string(enc->type_name())}}, enc->ciphertext));
  parts.add_child(std::move(to));
  msg.add_child(std::move(parts));
  node(*alice, msg);

  const auto& got = alice->sink->take();
  auto receipts = find_all(got, "receipt");
  ASSERT_EQ(receipts.size(), 2u);
  EXPECT_EQ(receipts[0]->attr_or("from", ""), "15550009999@s.whatsapp.net");
  EXPECT_EQ(receipts[0]->attr_or("id", ""), "3EB0E1");
  EXPECT_FALSE(receipts[0]->has_attr("type"));
  EXPECT_EQ(receipts[1]->attr_or("type", ""), "read");

  scheduler.run_all();  // the echo goes out after the incoming stanza was handled
  const auto& echoed = alice->sink->take();
  const Node* reply = find(echoed, "message");
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->attr_or("from", ""), "15550009999@s.whatsapp.net");
  EXPECT_EQ(reply->attr_or("sender_lid", ""), echo_lid + "@lid");
  EXPECT_EQ(decrypt_text(*reply), "hello echo");

  ASSERT_TRUE(sim->virtual_send("15550009999", "+15551234567", "from the phone").ok());
  const Node* pushed = find(alice->sink->take(), "message");
  ASSERT_NE(pushed, nullptr);
  EXPECT_EQ(decrypt_text(*pushed), "from the phone");

  EXPECT_EQ(sim->virtual_send("15551234567", "15550009999", "x").code(),
            core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sim->virtual_send("15550009999", "19998887777", "x").code(),
            core::StatusCode::kNotFound);
}

TEST_F(VirtualTest, PoolIsReplenished) {
  auto count_keys = [&]() {
    size_t n = 0;
    for (int i = 0; i < 60; ++i) {
      Node fetch("iq", {{"type", "get"}, {"xmlns", "encrypt"}});
      Node key("key");
      key.add_child(Node("user", {{"jid", "15550009999@s.whatsapp.net"}}));
      fetch.add_child(std::move(key));
      Node r = iq(*alice, fetch);
      if (r.child("list")->child("user")->child("key")) ++n;
    }
    return n;
  };
  EXPECT_EQ(count_keys(), 60u);  // never runs dry
}

}  // namespace
}  // namespace sim::test
