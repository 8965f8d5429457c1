// Wire-format tests for proto/client_payload.proto: login/registration payloads and DeviceProps.
#include <gtest/gtest.h>

#include <string>

#include "proto/client_payload.pb.h"
#include "tests/unit/proto/wire_hex.h"

namespace {

using proto_test::Hex;
using proto_test::HexRepeat;
using proto_test::WireHex;

TEST(ClientPayloadProto, LoginFieldsUseExpectedTagsAndTypes) {
  waproto::ClientPayload p;
  p.set_username(15551234567ull);
  p.set_passive(true);
  p.set_session_id(-2);
  p.set_connect_type(waproto::ClientPayload::WIFI_UNKNOWN);
  p.set_connect_reason(waproto::ClientPayload::USER_ACTIVATED);
  p.set_device(7);
  p.set_pull(true);
  p.set_lid_db_migrated(false);
  EXPECT_EQ(WireHex(p), Hex("08 8784b4f739"  // 1 username varint
                            "18 01"          // 3 passive
                            "4d feffffff"    // 9 session_id sfixed32 little-endian
                            "60 01"          // 12 connect_type WIFI_UNKNOWN
                            "68 01"          // 13 connect_reason USER_ACTIVATED
                            "9001 07"        // 18 device
                            "8802 01"        // 33 pull
                            "c802 00"));     // 41 lid_db_migrated (explicitly false)
}

TEST(ClientPayloadProto, ShardsArePackedLikeTheProto3Reference) {
  waproto::ClientPayload p;
  p.add_shards(1);
  p.add_shards(300);
  EXPECT_EQ(WireHex(p), Hex("72 03 01 ac02"));
}

TEST(ClientPayloadProto, UserAgentAndWebInfo) {
  waproto::ClientPayload p;
  auto* ua = p.mutable_user_agent();
  ua->set_platform(waproto::ClientPayload::UserAgent::WEB);
  auto* v = ua->mutable_app_version();
  v->set_primary(2);
  v->set_secondary(3000);
  v->set_tertiary(1043857760);
  ua->set_release_channel(waproto::ClientPayload::UserAgent::RELEASE);
  ua->set_locale_language_iso6391("en");
  ua->set_locale_country_iso31661_alpha2("US");
  p.mutable_web_info()->set_web_sub_platform(waproto::ClientPayload::WebInfo::WEB_BROWSER);
  // AppVersion { 08 02, 10 b817 (3000), 18 e082e0f103 (1043857760) } = 11 bytes.
  EXPECT_EQ(WireHex(p), Hex("2a 19"  // 5 user_agent, 25 bytes
                            "08 0e"  // platform WEB = 14
                            "12 0b 0802 10b817 18e082e0f103"
                            "50 00"          // 10 release_channel RELEASE (set)
                            "5a 02 656e"     // 11 "en"
                            "62 02 5553"     // 12 "US"
                            "32 02 2000"));  // 6 web_info { 4: WEB_BROWSER }
}

TEST(ClientPayloadProto, DevicePairingDataIsField19WithTwoByteTag) {
  waproto::ClientPayload p;
  auto* reg = p.mutable_device_pairing_data();
  reg->set_e_regid(std::string("\x00\x00\x00\x15", 4));
  reg->set_e_keytype(std::string("\x05", 1));
  reg->set_e_skey_id(std::string("\x00\x00\x01", 3));
  EXPECT_EQ(WireHex(p), Hex("9a01 0e"          // 19, length 14
                            "0a 04 00000015"   // 1 e_regid
                            "12 01 05"         // 2 e_keytype
                            "22 03 000001"));  // 4 e_skey_id
}

TEST(ClientPayloadProto, DevicePairingDataAllFieldsRoundTrip) {
  waproto::ClientPayload_DevicePairingRegistrationData reg;
  reg.set_e_regid(std::string("\x00\x00\x00\x15", 4));
  reg.set_e_keytype("\x05");
  reg.set_e_ident(std::string(32, 'i'));
  reg.set_e_skey_id(std::string("\x00\x00\x01", 3));
  reg.set_e_skey_val(std::string(32, 'v'));
  reg.set_e_skey_sig(std::string(64, 's'));
  reg.set_build_hash(std::string(16, 'h'));
  reg.set_device_props("props");
  const std::string wire = reg.SerializeAsString();
  // Every field is length-delimited with a one-byte tag: (n << 3) | 2.
  EXPECT_EQ(WireHex(reg).substr(0, 12), Hex("0a04 00000015"));
  EXPECT_NE(WireHex(reg).find(Hex("2a 20") + HexRepeat('v', 32)), std::string::npos);
  EXPECT_NE(WireHex(reg).find(Hex("32 40") + HexRepeat('s', 64)), std::string::npos);
  EXPECT_NE(WireHex(reg).find(Hex("3a 10") + HexRepeat('h', 16)), std::string::npos);
  EXPECT_EQ(WireHex(reg).substr(WireHex(reg).size() - 14), Hex("42 05 70726f7073"));

  waproto::ClientPayload_DevicePairingRegistrationData back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.e_ident(), std::string(32, 'i'));
  EXPECT_EQ(back.e_skey_sig().size(), 64u);
  EXPECT_EQ(back.device_props(), "props");
  EXPECT_EQ(back.SerializeAsString(), wire);
}

TEST(ClientPayloadProto, DevicePropsMatchesBaileysRegistrationShape) {
  waproto::DeviceProps props;
  props.set_os("Mac OS");
  props.mutable_version()->set_primary(10);
  props.mutable_version()->set_secondary(15);
  props.mutable_version()->set_tertiary(7);
  props.set_platform_type(waproto::DeviceProps::CHROME);
  props.set_require_full_sync(true);
  props.mutable_history_sync_config()->set_storage_quota_mb(10240);
  props.mutable_history_sync_config()->set_inline_initial_payload_in_e2ee_msg(true);
  EXPECT_EQ(WireHex(props), Hex("0a 06 4d6163204f53"    // 1 os "Mac OS"
                                "12 06 080a 100f 1807"  // 2 version 10.15.7
                                "18 01"                 // 3 CHROME
                                "20 01"                 // 4 require_full_sync
                                "2a 05 188050 2001"));  // 5 history_sync_config
}

TEST(ClientPayloadProto, PlatformTypeValues) {
  EXPECT_EQ(waproto::DeviceProps::UNKNOWN, 0);
  EXPECT_EQ(waproto::DeviceProps::DESKTOP, 7);
  EXPECT_EQ(waproto::DeviceProps::ANDROID_PHONE, 16);
  EXPECT_EQ(waproto::DeviceProps::SMARTGLASSES, 24);
  EXPECT_EQ(waproto::ClientPayload::UserAgent::MACOS, 24);
  EXPECT_EQ(waproto::ClientPayload::WHATSAPP, 0);
}

TEST(ClientPayloadProto, FullRegistrationPayloadRoundTrips) {
  waproto::DeviceProps props;
  props.set_os("Super Light");
  props.set_platform_type(waproto::DeviceProps::DESKTOP);

  waproto::ClientPayload p;
  p.set_passive(false);
  p.set_pull(false);
  p.set_push_name("bot");
  p.set_product(waproto::ClientPayload::WHATSAPP);
  p.set_oc(true);
  p.set_lc(1);
  p.set_padding_bytes("pad");
  p.set_account_type(waproto::ClientPayload::GUEST);
  p.set_connection_sequence_info(-7);
  p.mutable_dns_source()->set_dns_method(waproto::ClientPayload::DNSSource::HARDCODED);
  p.mutable_user_agent()->set_platform(waproto::ClientPayload::UserAgent::MACOS);
  p.mutable_device_pairing_data()->set_device_props(props.SerializeAsString());

  const std::string wire = p.SerializeAsString();
  waproto::ClientPayload back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_FALSE(back.has_username());
  EXPECT_TRUE(back.has_passive());
  EXPECT_FALSE(back.passive());
  EXPECT_EQ(back.push_name(), "bot");
  EXPECT_EQ(back.lc(), 1);
  EXPECT_EQ(back.account_type(), waproto::ClientPayload::GUEST);
  EXPECT_EQ(back.connection_sequence_info(), -7);
  EXPECT_EQ(back.dns_source().dns_method(), waproto::ClientPayload::DNSSource::HARDCODED);
  EXPECT_EQ(back.user_agent().platform(), waproto::ClientPayload::UserAgent::MACOS);
  waproto::DeviceProps props_back;
  ASSERT_TRUE(props_back.ParseFromString(back.device_pairing_data().device_props()));
  EXPECT_EQ(props_back.os(), "Super Light");
  EXPECT_EQ(back.SerializeAsString(), wire);
}

}  // namespace
