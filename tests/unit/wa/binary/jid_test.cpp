#include "wa/binary/jid.h"

#include <gtest/gtest.h>

#include "tests/unit/wa/binary/test_util.h"
#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"

namespace wa::binary {
namespace {

using testing::hex;
using testing::unhex;

Jid parsed(std::string_view text) {
  auto jid = parse_jid(text);
  EXPECT_TRUE(jid.ok()) << text << ": " << jid.status().to_string();
  return jid.ok() ? *jid : Jid{};
}

TEST(Jid, ParsesEveryKind) {
  Jid user = parsed("15551234567@s.whatsapp.net");
  EXPECT_EQ(user.user, "15551234567");
  EXPECT_EQ(user.server, kUserServer);
  EXPECT_EQ(user.device, 0);
  EXPECT_TRUE(user.is_user());
  EXPECT_FALSE(user.is_lid());

  Jid device = parsed("15551234567:7@s.whatsapp.net");
  EXPECT_EQ(device.device, 7);
  EXPECT_EQ(device.to_non_ad(), user);
  EXPECT_EQ(user.with_device(7), device);

  Jid lid = parsed("123456789012345:3@lid");
  EXPECT_TRUE(lid.is_lid());
  EXPECT_TRUE(lid.is_user());
  EXPECT_EQ(lid.domain(), kDomainLid);
  EXPECT_EQ(lid.device, 3);

  Jid group = parsed("120363012345678901@g.us");
  EXPECT_TRUE(group.is_group());
  EXPECT_FALSE(group.is_user());

  EXPECT_TRUE(parsed("status@broadcast").is_status_broadcast());
  EXPECT_FALSE(parsed("1234@broadcast").is_status_broadcast());
  EXPECT_TRUE(parsed("1234@broadcast").is_broadcast());

  Jid hosted = parsed("15551234567:99@hosted");
  EXPECT_EQ(hosted.device, 99);
  EXPECT_EQ(hosted.domain(), kDomainHosted);
  EXPECT_TRUE(hosted.is_hosted());

  Jid interop = parsed("7-15551234567:2@interop");
  EXPECT_EQ(interop.integrator, 7);
  EXPECT_EQ(interop.user, "15551234567");
  EXPECT_EQ(interop.device, 2);

  Jid agent = parsed("15551234567_5:2@s.whatsapp.net");
  EXPECT_EQ(agent.agent, 5);
  EXPECT_EQ(agent.user, "15551234567");
  EXPECT_EQ(agent.domain(), 5);
}

TEST(Jid, ServerJids) {
  Jid server = parsed("@s.whatsapp.net");
  EXPECT_TRUE(server.is_server());
  EXPECT_EQ(server, server_jid());
  EXPECT_EQ(parsed("s.whatsapp.net"), server_jid());
  EXPECT_EQ(parsed("g.us"), server_jid(kGroupServer));
  EXPECT_EQ(server_jid().to_string(), "@s.whatsapp.net");
  EXPECT_EQ(server_jid(kCallServer).to_string(), "@call");
}

TEST(Jid, StringFormsRoundTrip) {
  for (const char* text :
       {"15551234567@s.whatsapp.net", "15551234567:7@s.whatsapp.net", "123456789012345@lid",
        "123456789012345:12@lid", "120363012345678901@g.us", "15551234567-1600000000@g.us",
        "status@broadcast", "@s.whatsapp.net", "@g.us", "15551234567:99@hosted",
        "123456789012345:99@hosted.lid", "7-15551234567:2@interop",
        "15551234567_5:2@s.whatsapp.net", "15551234567_5@s.whatsapp.net", "16505361212@c.us",
        "1234@newsletter", "13135550002@bot", "100000000000001:3@msgr"}) {
    EXPECT_EQ(parsed(text).to_string(), text);
  }
  // An implied agent is normalised away.
  EXPECT_EQ(parsed("123_1:2@lid").to_string(), "123:2@lid");
  EXPECT_EQ(parsed("123_0@s.whatsapp.net").to_string(), "123@s.whatsapp.net");
  EXPECT_EQ(parsed("123:0@s.whatsapp.net").to_string(), "123@s.whatsapp.net");
  EXPECT_EQ(make_jid("123", kLidServer, 4).to_string(), "123:4@lid");
}

TEST(Jid, RejectsMalformed) {
  for (const char* text :
       {"", "15551234567", "foo", "123@", "a@b@c", "123:x@s.whatsapp.net", "123:@s.whatsapp.net",
        "123:65536@s.whatsapp.net", "123:1:2@s.whatsapp.net", "123_5@lid", "123_1@s.whatsapp.net",
        "123_5@g.us", "123_256@s.whatsapp.net", "123:07@s.whatsapp.net"}) {
    EXPECT_FALSE(parse_jid(text).ok()) << text;
  }
}

Node with_to(std::string value) {
  Node n("receipt");
  n.set("to", std::move(value));
  return n;
}

// Encodes <receipt to=value/> and returns the hex of the value part.
std::string value_hex(const std::string& value) {
  core::Bytes bytes = encode_node(with_to(value));
  // f8 03 07 11 <value>
  EXPECT_GE(bytes.size(), 4u);
  return hex(core::ByteView(bytes).subspan(4));
}

std::string decoded_value(const std::string& value) {
  auto node = decode_node(encode_node(with_to(value)));
  EXPECT_TRUE(node.ok()) << node.status().to_string();
  return node.ok() ? node->attr_or("to", "<missing>") : "";
}

TEST(JidCodec, EncodingsMatchBaileys) {
  EXPECT_EQ(value_hex("15551234567@s.whatsapp.net"), "faff8615551234567f03");
  EXPECT_EQ(value_hex("15551234567:7@s.whatsapp.net"), "f70007ff8615551234567f");
  EXPECT_EQ(value_hex("123456789012345:7@lid"), "f70107ff88123456789012345f");
  EXPECT_EQ(value_hex("123456789012345@lid"), "faff88123456789012345f76");
  EXPECT_EQ(value_hex("@s.whatsapp.net"), "fa0003");
  EXPECT_EQ(value_hex("@g.us"), "fa001c");
  EXPECT_EQ(value_hex("status@broadcast"), "fa0b0d");
  EXPECT_EQ(value_hex("15551234567:99@hosted"), "f78063ff8615551234567f");
  EXPECT_EQ(value_hex("123:99@hosted.lid"), "f78163ff82123f");
  // An explicit agent is an AD_JID domain.
  EXPECT_EQ(value_hex("123_5:2@s.whatsapp.net"), "f70502ff82123f");
  EXPECT_EQ(value_hex("123_5@s.whatsapp.net"), "f70500ff82123f");
  // Interop: user, device, integrator, server.
  EXPECT_EQ(value_hex("7-123:2@interop"), "f5ff82123f00020007fc07696e7465726f70");
  // Messenger: FB_JID = user, 2-byte device, server (msgr is single-byte token 204).
  EXPECT_EQ(value_hex("123:3@msgr"), "f6ff82123f0003cc");
}

TEST(JidCodec, EveryKindRoundTrips) {
  for (const char* text : {"15551234567@s.whatsapp.net",
                           "15551234567:7@s.whatsapp.net",
                           "123456789012345@lid",
                           "123456789012345:12@lid",
                           "120363012345678901@g.us",
                           "15551234567-1600000000@g.us",
                           "status@broadcast",
                           "1234@broadcast",
                           "@s.whatsapp.net",
                           "@g.us",
                           "@call",
                           "15551234567:99@hosted",
                           "15551234567@hosted",
                           "123456789012345:99@hosted.lid",
                           "7-15551234567:2@interop",
                           "15551234567@interop",
                           "15551234567:2@interop",
                           "15551234567_5:2@s.whatsapp.net",
                           "15551234567_5@s.whatsapp.net",
                           "16505361212@c.us",
                           "1234@newsletter",
                           "13135550002@bot",
                           "100000000000001:3@msgr",
                           "100000000000001@msgr",
                           "alice@example.com",
                           "15551234567:300@s.whatsapp.net"}) {
    EXPECT_EQ(decoded_value(text), text);
  }
}

TEST(JidCodec, LossyFormsFallBackToLosslessEncodings) {
  // Baileys would write these as AD_JID and read back something else; we keep the text.
  for (const char* text :
       {"123:0@s.whatsapp.net", "123:5@g.us", "a:1:2@s.whatsapp.net", "123:07@lid", "123_1:2@lid",
        "123_1@s.whatsapp.net", "a@b@c", "x@", "123:@s.whatsapp.net", "u_05:2@s.whatsapp.net"}) {
    EXPECT_EQ(decoded_value(text), text);
  }
  EXPECT_EQ(value_hex("123:0@s.whatsapp.net").substr(0, 2), "f6");  // FB_JID
  EXPECT_EQ(value_hex("a@b@c").substr(0, 2), "fc");                 // raw
}

TEST(JidCodec, DecodesAdJidLikeBaileys) {
  // <receipt to=AD_JID(domain, device, "123")/>
  auto decode_ad = [](std::string domain_device) {
    auto node = decode_node(unhex("f803 07 11 f7" + domain_device + "ff82123f"));
    EXPECT_TRUE(node.ok()) << node.status().to_string();
    return node.ok() ? node->attr_or("to", "") : "";
  };
  EXPECT_EQ(decode_ad("0000"), "123@s.whatsapp.net");
  EXPECT_EQ(decode_ad("0003"), "123:3@s.whatsapp.net");
  EXPECT_EQ(decode_ad("0100"), "123@lid");
  EXPECT_EQ(decode_ad("0109"), "123:9@lid");
  EXPECT_EQ(decode_ad("8063"), "123:99@hosted");
  EXPECT_EQ(decode_ad("8101"), "123:1@hosted.lid");
  EXPECT_EQ(decode_ad("0502"), "123_5:2@s.whatsapp.net");
}

TEST(JidCodec, DecodesFbAndInteropJids) {
  // FB_JID always shows the device, as Baileys does.
  auto fb = decode_node(unhex("f803 07 11 f6 ff82123f 0000 fc046d736772"));
  ASSERT_TRUE(fb.ok()) << fb.status().to_string();
  EXPECT_EQ(fb->attr_or("to", ""), "123:0@msgr");
  // INTEROP_JID without a trailing server string defaults to "interop".
  auto interop = decode_node(unhex("f803 07 11 f5 ff82123f 0002 0007"));
  ASSERT_TRUE(interop.ok()) << interop.status().to_string();
  EXPECT_EQ(interop->attr_or("to", ""), "7-123:2@interop");
}

TEST(JidCodec, NodeAttrJid) {
  Node n("message");
  n.set("from", make_jid("123", kLidServer, 2));
  auto jid = n.attr_jid("from");
  ASSERT_TRUE(jid.ok());
  EXPECT_EQ(jid->device, 2);
  EXPECT_EQ(n.attr_jid("to").status().code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace wa::binary
