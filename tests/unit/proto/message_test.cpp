// Wire-format tests for proto/message.proto: the E2E Message and its wrappers.
#include <gtest/gtest.h>

#include <string>

#include "proto/message.pb.h"
#include "tests/unit/proto/wire_hex.h"

namespace {

using proto_test::Hex;
using proto_test::HexRepeat;
using proto_test::WireHex;

TEST(MessageProto, ConversationWithMessageSecret) {
  waproto::Message m;
  m.set_conversation("hi");
  m.mutable_message_context_info()->set_message_secret(std::string(32, '\x11'));
  EXPECT_EQ(WireHex(m), Hex("0a 02 6869"        // 1 conversation
                            "9a02 22 1a 20") +  // 35 message_context_info { 3: 32 bytes }
                            HexRepeat(0x11, 32));
}

TEST(MessageProto, ExtendedTextWithContextInfoAtField17) {
  waproto::Message m;
  auto* text = m.mutable_extended_text_message();
  text->set_text("yo");
  auto* ctx = text->mutable_context_info();
  ctx->set_stanza_id("ID");
  ctx->set_participant("p");
  ctx->add_mentioned_jid("a");
  ctx->add_mentioned_jid("b");
  ctx->mutable_quoted_message()->set_conversation("q");
  // context_info = 0a 02 "ID" 12 01 "p" 1a 03 {0a 01 "q"} 7a 01 "a" 7a 01 "b" = 18 bytes.
  EXPECT_EQ(WireHex(m), Hex("32 19"       // 6 extended_text_message, 25 bytes
                            "0a 02 796f"  // 1 text
                            "8a01 12"     // 17 context_info, 18 bytes
                            "0a 02 4944 12 01 70 1a 03 0a0171 7a 01 61 7a 01 62"));
}

TEST(MessageProto, ReactionIsField46WithMessageKey) {
  waproto::Message m;
  auto* r = m.mutable_reaction_message();
  r->mutable_key()->set_remote_jid("j");
  r->mutable_key()->set_from_me(true);
  r->mutable_key()->set_id("I");
  r->set_text("+");
  r->set_sender_timestamp_ms(1);
  // key = 0a 01 "j" 10 01 1a 01 "I" (8 bytes)
  EXPECT_EQ(WireHex(m), Hex("f202 0f 0a 08 0a016a 1001 1a0149 12 01 2b 20 01"));
}

TEST(MessageProto, ProtocolMessageEditAndRevoke) {
  waproto::Message edit;
  auto* pm = edit.mutable_protocol_message();
  pm->mutable_key()->set_id("X");
  pm->set_type(waproto::Message::ProtocolMessage::MESSAGE_EDIT);
  pm->mutable_edited_message()->set_conversation("new");
  pm->set_timestamp_ms(5);
  EXPECT_EQ(WireHex(edit), Hex("62 10"             // 12 protocol_message, 16 bytes
                               "0a 03 1a0158"      // 1 key { 3: "X" }
                               "10 0e"             // 2 type MESSAGE_EDIT = 14
                               "72 05 0a036e6577"  // 14 edited_message { 1: "new" }
                               "78 05"));          // 15 timestamp_ms

  waproto::Message revoke;
  revoke.mutable_protocol_message()->set_type(waproto::Message::ProtocolMessage::REVOKE);
  EXPECT_EQ(WireHex(revoke), Hex("62 02 1000"));
}

TEST(MessageProto, FutureProofWrappersUseTwoByteTags) {
  waproto::Message m;
  m.mutable_edited_message()->mutable_message()->set_conversation("e");
  EXPECT_EQ(WireHex(m), Hex("d203 05 0a 03 0a0165"));  // 58

  waproto::Message eph;
  eph.mutable_ephemeral_message()->mutable_message()->set_conversation("e");
  EXPECT_EQ(WireHex(eph), Hex("c202 05 0a 03 0a0165"));  // 40

  waproto::Message vo;
  vo.mutable_view_once_message()->mutable_message()->set_conversation("e");
  EXPECT_EQ(WireHex(vo), Hex("aa02 05 0a 03 0a0165"));  // 37

  waproto::Message doc;
  doc.mutable_document_with_caption_message()->mutable_message()->set_conversation("e");
  EXPECT_EQ(WireHex(doc), Hex("aa03 05 0a 03 0a0165"));  // 53
}

TEST(MessageProto, DeviceSentMessageWrapsOriginal) {
  waproto::Message dsm;
  dsm.mutable_device_sent_message()->set_destination_jid("d");
  dsm.mutable_device_sent_message()->mutable_message()->set_conversation("c");
  dsm.mutable_device_sent_message()->set_phash("2:x");
  EXPECT_EQ(WireHex(dsm), Hex("fa01 0d 0a0164 12 03 0a0163 1a 03 323a78"));  // 31
}

TEST(MessageProto, SenderKeyDistributionMessage) {
  waproto::Message m;
  m.mutable_sender_key_distribution_message()->set_group_id("g@g.us");
  m.mutable_sender_key_distribution_message()->set_axolotl_sender_key_distribution_message("\x33");
  EXPECT_EQ(WireHex(m), Hex("12 0b 0a 06 6740672e7573 12 01 33"));
}

TEST(MessageProto, MediaFieldNumbersPerKind) {
  waproto::Message img;
  img.mutable_image_message()->set_direct_path("/p");       // 11
  img.mutable_image_message()->set_media_key_timestamp(1);  // 12
  EXPECT_EQ(WireHex(img), Hex("1a 06 5a 02 2f70 60 01"));

  waproto::Message vid;
  vid.mutable_video_message()->set_gif_playback(true);  // 8
  vid.mutable_video_message()->set_direct_path("/p");   // 13
  EXPECT_EQ(WireHex(vid), Hex("4a 06 40 01 6a 02 2f70"));

  waproto::Message aud;
  aud.mutable_audio_message()->set_ptt(true);      // 6
  aud.mutable_audio_message()->set_waveform("w");  // 19
  EXPECT_EQ(WireHex(aud), Hex("42 06 30 01 9a01 01 77"));

  waproto::Message doc;
  doc.mutable_document_message()->set_file_name("f");  // 8
  doc.mutable_document_message()->set_caption("c");    // 20
  EXPECT_EQ(WireHex(doc), Hex("3a 07 42 01 66 a201 01 63"));

  waproto::Message sticker;
  sticker.mutable_sticker_message()->set_mimetype("i");        // 5
  sticker.mutable_sticker_message()->set_file_length(9);       // 9
  EXPECT_EQ(WireHex(sticker), Hex("d201 05 2a 01 69 48 09"));  // 26

  waproto::Message ptv;
  ptv.mutable_ptv_message()->set_seconds(3);      // 5
  EXPECT_EQ(WireHex(ptv), Hex("9204 02 28 03"));  // 66
}

TEST(MessageProto, LocationUsesLittleEndianDoubles) {
  waproto::Message m;
  m.mutable_location_message()->set_degrees_latitude(1.5);
  m.mutable_location_message()->set_degrees_longitude(-2.0);
  m.mutable_location_message()->set_name("N");
  EXPECT_EQ(WireHex(m), Hex("2a 15"
                            "09 000000000000f83f"  // 1 degrees_latitude 1.5
                            "11 00000000000000c0"  // 2 degrees_longitude -2.0
                            "1a 01 4e"));
}

TEST(MessageProto, ContactMessageVcardAtField16) {
  waproto::Message m;
  m.mutable_contact_message()->set_display_name("A");
  m.mutable_contact_message()->set_vcard("V");
  EXPECT_EQ(WireHex(m), Hex("22 07 0a 01 41 8201 01 56"));
}

TEST(MessageProto, UnknownFieldsSurviveReserialization) {
  // conversation "x", then unknown field 999 (tag 0xba3e, length-delimited) and unknown field 55
  // inside message_context_info. A relay that parses and re-serializes must not drop them.
  const std::string wire(
      "\x0a\x01x"                  // 1 conversation "x"
      "\xba\x3e\x02zz"             // unknown 999
      "\xaa\x02\x03\xb8\x03\x01"   // 37 view_once_message { unknown 55 = 1 }
      "\x9a\x02\x03\xb8\x03\x07",  // 35 message_context_info { unknown 55 = 7 }
      20);
  waproto::Message m;
  ASSERT_TRUE(m.ParseFromString(wire));
  EXPECT_EQ(m.conversation(), "x");
  EXPECT_TRUE(m.has_view_once_message());
  EXPECT_TRUE(m.has_message_context_info());
  EXPECT_EQ(m.SerializeAsString().size(), wire.size());
  EXPECT_NE(m.SerializeAsString().find("\xba\x3e\x02zz"), std::string::npos);
  EXPECT_NE(m.view_once_message().SerializeAsString().find("\xb8\x03\x01"), std::string::npos);

  waproto::Message again;
  ASSERT_TRUE(again.ParseFromString(m.SerializeAsString()));
  EXPECT_EQ(again.SerializeAsString(), m.SerializeAsString());
}

TEST(MessageProto, WebMessageInfoRoundTrip) {
  waproto::WebMessageInfo info;
  info.mutable_key()->set_remote_jid("1@s.whatsapp.net");
  info.mutable_key()->set_id("3EB0ABCDEF");
  info.mutable_key()->set_from_me(false);
  info.mutable_message()->set_conversation("hello");
  info.set_message_timestamp(1700000000);
  info.set_status(waproto::WebMessageInfo::DELIVERY_ACK);
  info.set_push_name("Ann");
  EXPECT_NE(WireHex(info).find(Hex("9a01 03 416e6e")), std::string::npos);  // 19 push_name
  EXPECT_NE(WireHex(info).find(Hex("20 03")), std::string::npos);           // 4 status

  waproto::WebMessageInfo back;
  ASSERT_TRUE(back.ParseFromString(info.SerializeAsString()));
  EXPECT_EQ(back.key().id(), "3EB0ABCDEF");
  EXPECT_TRUE(back.key().has_from_me());
  EXPECT_FALSE(back.key().from_me());
  EXPECT_EQ(back.message().conversation(), "hello");
  EXPECT_EQ(back.message_timestamp(), 1700000000u);
  EXPECT_EQ(back.status(), waproto::WebMessageInfo::DELIVERY_ACK);
  EXPECT_EQ(back.push_name(), "Ann");
}

TEST(MessageProto, AppStateSyncKeyShareRoundTrip) {
  waproto::Message m;
  auto* pm = m.mutable_protocol_message();
  pm->set_type(waproto::Message::ProtocolMessage::APP_STATE_SYNC_KEY_SHARE);
  auto* key = pm->mutable_app_state_sync_key_share()->add_keys();
  key->mutable_key_id()->set_key_id("kid");
  key->mutable_key_data()->set_key_data(std::string(32, 'k'));
  key->mutable_key_data()->mutable_fingerprint()->add_device_indexes(0);
  key->mutable_key_data()->mutable_fingerprint()->add_device_indexes(2);
  key->mutable_key_data()->set_timestamp(42);

  waproto::Message back;
  ASSERT_TRUE(back.ParseFromString(m.SerializeAsString()));
  ASSERT_EQ(back.protocol_message().app_state_sync_key_share().keys_size(), 1);
  const auto& k = back.protocol_message().app_state_sync_key_share().keys(0);
  EXPECT_EQ(k.key_id().key_id(), "kid");
  EXPECT_EQ(k.key_data().key_data().size(), 32u);
  EXPECT_EQ(k.key_data().fingerprint().device_indexes_size(), 2);
  EXPECT_EQ(k.key_data().timestamp(), 42);
  EXPECT_EQ(waproto::Message::ProtocolMessage::HISTORY_SYNC_NOTIFICATION, 5);
}

}  // namespace
