// Wire-format tests for proto/adv.proto: the pairing device-identity messages (§5.2).
#include <gtest/gtest.h>

#include <string>

#include "proto/adv.pb.h"
#include "tests/unit/proto/wire_hex.h"

namespace {

using proto_test::Hex;
using proto_test::HexRepeat;
using proto_test::WireHex;

TEST(AdvProto, DeviceIdentityWireBytes) {
  waproto::ADVDeviceIdentity id;
  id.set_raw_id(1234567);
  id.set_timestamp(1700000000);
  id.set_key_index(1);
  EXPECT_EQ(WireHex(id), Hex("08 87ad4b 10 80e2cfaa06 18 01"));

  id.set_account_type(waproto::HOSTED);
  id.set_device_type(waproto::E2EE);
  EXPECT_EQ(WireHex(id), Hex("08 87ad4b 10 80e2cfaa06 18 01 20 01 28 00"));
}

TEST(AdvProto, SignedIdentityAndHmacEnvelope) {
  waproto::ADVSignedDeviceIdentity signed_id;
  signed_id.set_details("d");
  signed_id.set_account_signature_key(std::string(32, 'k'));
  signed_id.set_account_signature(std::string(64, 'a'));
  signed_id.set_device_signature(std::string(64, 'v'));
  EXPECT_EQ(WireHex(signed_id), Hex("0a 01 64") + Hex("12 20") + HexRepeat('k', 32) + Hex("1a 40") +
                                    HexRepeat('a', 64) + Hex("22 40") + HexRepeat('v', 64));

  waproto::ADVSignedDeviceIdentityHMAC envelope;
  envelope.set_details("xy");
  envelope.set_hmac("h");
  envelope.set_account_type(waproto::HOSTED);
  EXPECT_EQ(WireHex(envelope), Hex("0a 02 7879 12 01 68 18 01"));
}

TEST(AdvProto, KeyIndexListValidIndexesArePacked) {
  waproto::ADVKeyIndexList list;
  list.set_raw_id(9);
  list.set_current_index(2);
  list.add_valid_indexes(0);
  list.add_valid_indexes(1);
  list.add_valid_indexes(200);
  EXPECT_EQ(WireHex(list), Hex("08 09 18 02 22 04 00 01 c801"));
}

TEST(AdvProto, KeyIndexListAcceptsUnpackedEncodingToo) {
  // A proto2 parser must accept both encodings of a repeated scalar; senders differ.
  const std::string unpacked("\x20\x03\x20\x04", 4);
  waproto::ADVKeyIndexList list;
  ASSERT_TRUE(list.ParseFromString(unpacked));
  ASSERT_EQ(list.valid_indexes_size(), 2);
  EXPECT_EQ(list.valid_indexes(0), 3u);
  EXPECT_EQ(list.valid_indexes(1), 4u);
}

TEST(AdvProto, SignedKeyIndexListFieldOrder) {
  waproto::ADVSignedKeyIndexList signed_list;
  signed_list.set_details("D");
  signed_list.set_account_signature("S");
  signed_list.set_account_signature_key("K");
  EXPECT_EQ(WireHex(signed_list), Hex("0a0144 120153 1a014b"));
}

TEST(AdvProto, NestedRoundTripPreservesInnerBytes) {
  waproto::ADVDeviceIdentity id;
  id.set_raw_id(0xFFFFFFFFu);
  id.set_timestamp(0);
  id.set_key_index(3);
  const std::string details = id.SerializeAsString();

  waproto::ADVSignedDeviceIdentity signed_id;
  signed_id.set_details(details);
  signed_id.set_account_signature(std::string(64, '\0'));

  waproto::ADVSignedDeviceIdentityHMAC envelope;
  envelope.set_details(signed_id.SerializeAsString());
  envelope.set_hmac(std::string(32, '\xAA'));

  waproto::ADVSignedDeviceIdentityHMAC env_back;
  ASSERT_TRUE(env_back.ParseFromString(envelope.SerializeAsString()));
  EXPECT_FALSE(env_back.has_account_type());
  EXPECT_EQ(env_back.account_type(), waproto::E2EE);
  waproto::ADVSignedDeviceIdentity signed_back;
  ASSERT_TRUE(signed_back.ParseFromString(env_back.details()));
  EXPECT_EQ(signed_back.details(), details);
  EXPECT_EQ(signed_back.account_signature(), std::string(64, '\0'));
  EXPECT_FALSE(signed_back.has_device_signature());
  waproto::ADVDeviceIdentity id_back;
  ASSERT_TRUE(id_back.ParseFromString(signed_back.details()));
  EXPECT_EQ(id_back.raw_id(), 0xFFFFFFFFu);
  EXPECT_TRUE(id_back.has_timestamp());
  EXPECT_EQ(id_back.key_index(), 3u);
}

}  // namespace
