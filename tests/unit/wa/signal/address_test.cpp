#include "wa/signal/address.h"

#include <gtest/gtest.h>

#include "wa/store/in_memory_store.h"

namespace wa::signal {
namespace {

TEST(AddressTest, ParsesUserDeviceJids) {
  auto pn = parse_device_jid("15551234567@s.whatsapp.net");
  ASSERT_TRUE(pn.ok());
  EXPECT_EQ(*pn, (DeviceJid{"15551234567", Domain::kWhatsApp, 0}));

  auto dev = parse_device_jid("15551234567:12@s.whatsapp.net");
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->device, 12u);

  auto lid = parse_device_jid("123456789012345:3@lid");
  ASSERT_TRUE(lid.ok());
  EXPECT_EQ(*lid, (DeviceJid{"123456789012345", Domain::kLid, 3}));

  auto hosted = parse_device_jid("155:99@hosted");
  ASSERT_TRUE(hosted.ok());
  EXPECT_EQ(hosted->domain, Domain::kHosted);
  auto hosted_lid = parse_device_jid("900:99@hosted.lid");
  ASSERT_TRUE(hosted_lid.ok());
  EXPECT_EQ(hosted_lid->domain, Domain::kHostedLid);

  // Legacy alias and the agent suffix.
  EXPECT_EQ(parse_device_jid("155@c.us")->domain, Domain::kWhatsApp);
  auto agent = parse_device_jid("155_1:2@s.whatsapp.net");
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(*agent, (DeviceJid{"155", Domain::kLid, 2}));
}

TEST(AddressTest, RejectsNonDeviceAndMalformedJids) {
  for (const char* bad :
       {"120363000000000000@g.us", "status@broadcast", "1@newsletter", "no-at-sign", "@lid",
        "1:@s.whatsapp.net", "1:x@s.whatsapp.net", "1:70000@s.whatsapp.net", "1_7@s.whatsapp.net",
        "1_@s.whatsapp.net", "a b@s.whatsapp.net", "1:99@s.whatsapp.net", "1:99@lid", "1:-1@lid",
        ""}) {
    EXPECT_FALSE(parse_device_jid(bad).ok()) << bad;
  }
}

TEST(AddressTest, SignalNamesFollowTheLibraries) {
  EXPECT_EQ(*address_from_jid("155:2@s.whatsapp.net"), (Address{"155", 2}));
  EXPECT_EQ(*address_from_jid("900@lid"), (Address{"900_1", 0}));
  EXPECT_EQ(*address_from_jid("155:99@hosted"), (Address{"155_128", 99}));
  EXPECT_EQ(*address_from_jid("900:99@hosted.lid"), (Address{"900_129", 99}));
  EXPECT_EQ(address_from_jid("900:4@lid")->to_string(), "900_1.4");
}

TEST(AddressTest, AddressBackToJid) {
  EXPECT_EQ(*jid_from_address({"155", 0}), "155@s.whatsapp.net");
  EXPECT_EQ(*jid_from_address({"900_1", 4}), "900:4@lid");
  EXPECT_EQ(*jid_from_address({"155_128", 99}), "155:99@hosted");
  EXPECT_EQ(*jid_from_address({"900_129", 99}), "900:99@hosted.lid");
  EXPECT_FALSE(jid_from_address({"900_7", 1}).ok());
  EXPECT_FALSE(jid_from_address({"", 1}).ok());
  for (const char* jid : {"1:5@s.whatsapp.net", "2@lid", "3:99@hosted", "4:99@hosted.lid"}) {
    EXPECT_EQ(*jid_from_address(*address_from_jid(jid)), jid);
  }
}

TEST(AddressTest, LidFirstSelection) {
  DeviceJid pn{"155", Domain::kWhatsApp, 3};
  EXPECT_EQ(preferred_address(pn, std::nullopt), (Address{"155", 3}));
  EXPECT_EQ(preferred_address(pn, std::string("900")), (Address{"900_1", 3}));
  DeviceJid hosted{"155", Domain::kHosted, 99};
  EXPECT_EQ(preferred_address(hosted, std::string("900")), (Address{"900_129", 99}));
  DeviceJid lid{"900", Domain::kLid, 1};
  EXPECT_EQ(preferred_address(lid, std::string("ignored")), (Address{"900_1", 1}));

  store::InMemoryStore store;
  EXPECT_EQ(*preferred_address("155:2@s.whatsapp.net", store), (Address{"155", 2}));
  ASSERT_TRUE(store.store_lid_mapping("155", "900").ok());
  EXPECT_EQ(*preferred_address("155:2@s.whatsapp.net", store), (Address{"900_1", 2}));
  EXPECT_EQ(*preferred_address("155@s.whatsapp.net", store), (Address{"900_1", 0}));
  EXPECT_EQ(*preferred_address("900:2@lid", store), (Address{"900_1", 2}));
  EXPECT_EQ(*preferred_address("156@s.whatsapp.net", store), (Address{"156", 0}));
  EXPECT_FALSE(preferred_address("1@g.us", store).ok());
}

TEST(AddressTest, SenderKeyName) {
  auto name = sender_key_name("120363@g.us", Address{"900_1", 2});
  EXPECT_EQ(name.group_id, "120363@g.us");
  EXPECT_EQ(name.to_string(), "120363@g.us::900_1.2");
}

}  // namespace
}  // namespace wa::signal

namespace wa::signal {
namespace {

TEST(AddressTest, FromBinaryJid) {
  auto jid = binary::parse_jid("900:4@lid");
  ASSERT_TRUE(jid.ok());
  EXPECT_EQ(*address_from_jid(*jid), (Address{"900_1", 4}));
  EXPECT_EQ(*to_device_jid(*jid), (DeviceJid{"900", Domain::kLid, 4}));
  EXPECT_EQ(*address_from_jid(binary::make_jid("155", binary::kUserServer, 3)),
            (Address{"155", 3}));
  EXPECT_EQ(*address_from_jid(binary::make_jid("155", binary::kHostedServer, 99)),
            (Address{"155_128", 99}));
  EXPECT_FALSE(address_from_jid(binary::make_jid("120363", binary::kGroupServer)).ok());
  EXPECT_FALSE(address_from_jid(binary::server_jid()).ok());

  store::InMemoryStore store;
  ASSERT_TRUE(store.store_lid_mapping("155", "900").ok());
  EXPECT_EQ(*preferred_address(binary::make_jid("155", binary::kUserServer, 3), store),
            (Address{"900_1", 3}));
}

}  // namespace
}  // namespace wa::signal
