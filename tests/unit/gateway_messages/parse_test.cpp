// parse_message for every type of message_shapes.md (text, image, video, audio/ptt, document,
// sticker, location, contact, reaction, edit) with quoted / mentions / recipient_type, and the
// errors for every malformed field; media_type_fits; revoke_message.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gateway/api/messaging_routes.h"
#include "gateway/sessions/session_manager.h"
#include "wa/client/messages.h"

namespace gw::api {
namespace {

using nlohmann::json;
using wa::client::MediaKind;

json msg(const std::string& type, json content) {
  json j = {{"to", "15551234567"}, {"type", type}};
  j[type] = std::move(content);
  return j;
}

std::string error_of(const json& item) {
  auto r = parse_message(item);
  EXPECT_FALSE(r.ok()) << item.dump();
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument) << item.dump();
  return r.status().message();
}

TEST(ParseTextTest, PlainTextStaysAConversation) {
  auto m = parse_message(msg("text", {{"body", "hello"}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->message.has_conversation());
  EXPECT_EQ(m->body, json({{"text", "hello"}}));
  EXPECT_FALSE(m->quoted_id);
  EXPECT_FALSE(m->target);
}

TEST(ParseTextTest, MentionsBecomeMentionedJids) {
  auto item = msg("text", {{"body", "hi @15550001111"}});
  item["mentions"] = {"+1 555 000 1111", "15550002222@s.whatsapp.net", "987654321@lid",
                      15550003333LL};
  auto m = parse_message(item);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE(m->message.has_extended_text_message());
  const auto& ci = m->message.extended_text_message().context_info();
  ASSERT_EQ(ci.mentioned_jid_size(), 4);
  EXPECT_EQ(ci.mentioned_jid(0), "15550001111@s.whatsapp.net");
  EXPECT_EQ(ci.mentioned_jid(1), "15550002222@s.whatsapp.net");
  EXPECT_EQ(ci.mentioned_jid(2), "987654321@lid");
  EXPECT_EQ(ci.mentioned_jid(3), "15550003333@s.whatsapp.net");
  EXPECT_EQ(m->body["mentions"].size(), 4u);
}

TEST(ParseTextTest, QuotedAsStringOrObject) {
  auto a = msg("text", {{"body", "re"}});
  a["quoted"] = "3EB0ABCDEF";
  auto m = parse_message(a);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->quoted_id, "3EB0ABCDEF");
  EXPECT_EQ(m->body["quoted"], "3EB0ABCDEF");
  a["quoted"] = {{"message_id", "ABC_1-2.x"}};
  m = parse_message(a);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->quoted_id, "ABC_1-2.x");
}

TEST(ParseTextTest, GroupRecipient) {
  auto item = msg("text", {{"body", "hi all"}});
  item["to"] = "120363012345";
  item["recipient_type"] = "group";
  auto m = parse_message(item);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->to_jid, "120363012345@g.us");
}

TEST(ParseErrorsTest, CommonFields) {
  EXPECT_NE(error_of(json::array()).find("object"), std::string::npos);
  EXPECT_NE(error_of({{"type", "text"}, {"text", {{"body", "x"}}}}).find("'to'"),
            std::string::npos);
  EXPECT_NE(error_of({{"to", "15551234567"}, {"text", {{"body", "x"}}}}).find("'type'"),
            std::string::npos);
  EXPECT_NE(error_of({{"to", "15551234567"}, {"type", 5}}).find("'type'"), std::string::npos);
  EXPECT_NE(error_of({{"to", "15551234567"}, {"type", "poll"}}).find("unsupported"),
            std::string::npos);
  EXPECT_NE(error_of({{"to", "15551234567"}, {"type", "revoke"}}).find("unsupported"),
            std::string::npos);
  auto item = msg("text", {{"body", "x"}});
  item["recipient_type"] = "broadcast";
  EXPECT_NE(error_of(item).find("recipient_type"), std::string::npos);
  item["recipient_type"] = 1;
  EXPECT_NE(error_of(item).find("recipient_type"), std::string::npos);
}

TEST(ParseErrorsTest, Text) {
  EXPECT_NE(error_of({{"to", "15551234567"}, {"type", "text"}}).find("text.body"),
            std::string::npos);
  EXPECT_NE(error_of(msg("text", {{"body", 3}})).find("text.body"), std::string::npos);
  EXPECT_NE(error_of(msg("text", {{"body", ""}})).find("1-4096"), std::string::npos);
  EXPECT_NE(error_of(msg("text", {{"body", std::string(4097, 'a')}})).find("1-4096"),
            std::string::npos);
  EXPECT_TRUE(parse_message(msg("text", {{"body", std::string(4096, 'a')}})).ok());
}

TEST(ParseErrorsTest, Mentions) {
  auto item = msg("text", {{"body", "x"}});
  item["mentions"] = "15550001111";
  EXPECT_NE(error_of(item).find("array"), std::string::npos);
  item["mentions"] = json::array();
  for (int i = 0; i < 51; ++i) item["mentions"].push_back("1555000" + std::to_string(1000 + i));
  EXPECT_NE(error_of(item).find("at most 50"), std::string::npos);
  item["mentions"].erase(item["mentions"].begin());
  EXPECT_TRUE(parse_message(item).ok()) << "exactly 50 is fine";
  for (json bad : {json("abc"), json("120363@g.us"), json("x@lid"), json(true), json("12")}) {
    item["mentions"] = json::array({bad});
    EXPECT_NE(error_of(item).find("mention"), std::string::npos) << bad.dump();
  }
  auto loc = msg("location", {{"latitude", 1}, {"longitude", 2}});
  loc["mentions"] = {"15550001111"};
  EXPECT_NE(error_of(loc).find("only allowed for text and captions"), std::string::npos);
  auto audio = msg("audio", {{"id", "a1"}});
  audio["mentions"] = {"15550001111"};
  EXPECT_NE(error_of(audio).find("only allowed"), std::string::npos);
}

TEST(ParseErrorsTest, Quoted) {
  auto item = msg("text", {{"body", "x"}});
  for (json bad : {json(""), json(12), json({{"id", "X"}}), json("a b"), json("../x"),
                   json(std::string(129, 'A'))}) {
    item["quoted"] = bad;
    EXPECT_NE(error_of(item).find("quoted"), std::string::npos) << bad.dump();
  }
  auto reaction = msg("reaction", {{"message_id", "ABC"}, {"emoji", "x"}});
  reaction["quoted"] = "DEF";
  EXPECT_NE(error_of(reaction).find("not allowed"), std::string::npos);
}

TEST(ParseMediaTest, EveryKindById) {
  struct Case {
    std::string type;
    MediaKind kind;
  };
  for (const Case& c : {Case{"image", MediaKind::kImage}, Case{"video", MediaKind::kVideo},
                        Case{"audio", MediaKind::kAudio}, Case{"document", MediaKind::kDocument},
                        Case{"sticker", MediaKind::kSticker}}) {
    auto m = parse_message(msg(c.type, {{"id", "abc123"}}));
    // Stored media ids are UUIDs.
    EXPECT_TRUE(parse_message(msg(c.type, {{"id", "7a15f9f5-4051-476b-b88b-a755a8b4ab29"}})).ok());
    ASSERT_TRUE(m.ok()) << c.type << ": " << m.status().message();
    ASSERT_TRUE(m->media) << c.type;
    EXPECT_EQ(m->media->kind, c.kind) << c.type;
    EXPECT_EQ(m->media->media_id, "abc123");
    EXPECT_TRUE(m->media->link.empty());
    EXPECT_EQ(m->type, c.type);
    EXPECT_EQ(m->body[c.type]["id"], "abc123");
  }
}

TEST(ParseMediaTest, CaptionsFilenamePttAndCaptionMentions) {
  auto video = msg("video", {{"id", "v1"}, {"caption", "clip"}});
  video["mentions"] = {"15550001111"};
  auto v = parse_message(video);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->media->options.caption, "clip");
  ASSERT_TRUE(v->message.has_video_message());
  EXPECT_EQ(v->message.video_message().context_info().mentioned_jid(0),
            "15550001111@s.whatsapp.net");

  auto a = parse_message(msg("audio", {{"id", "a1"}, {"ptt", true}}));
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->media->options.ptt);
  EXPECT_EQ(a->body["audio"]["ptt"], true);

  auto d = parse_message(msg(
      "document",
      {{"id", "d1"}, {"filename", "a.pdf"}, {"caption", "see"}, {"mimetype", "application/pdf"}}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->media->options.file_name, "a.pdf");
  EXPECT_EQ(d->media->options.caption, "see");
  EXPECT_TRUE(d->media->options.mimetype.empty()) << "the sniffed type decides";
}

TEST(ParseMediaTest, LinkIsKeptForTheFetcher) {
  auto m = parse_message(msg("image", {{"link", "https://example.com/cat.png"}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->media->link, "https://example.com/cat.png");
  EXPECT_TRUE(m->media->media_id.empty());
  EXPECT_TRUE(parse_message(msg("document", {{"link", "HTTP://example.com/a.pdf"}})).ok());
}

TEST(ParseErrorsTest, Media) {
  EXPECT_NE(error_of({{"to", "15551234567"}, {"type", "image"}}).find("image object"),
            std::string::npos);
  EXPECT_NE(error_of(msg("image", "abc")).find("image object"), std::string::npos);
  EXPECT_NE(error_of(msg("image", json::object())).find("either id"), std::string::npos);
  EXPECT_NE(error_of(msg("image", {{"id", "a"}, {"link", "https://x/y"}})).find("either id"),
            std::string::npos);
  EXPECT_NE(error_of(msg("image", {{"id", 5}})).find("string"), std::string::npos);
  for (std::string bad :
       {std::string(), std::string("../../etc/passwd"), std::string("a b"), std::string(65, 'a')}) {
    EXPECT_NE(error_of(msg("image", {{"id", bad}})).find("not a media id"), std::string::npos)
        << bad;
  }
  for (std::string bad :
       {std::string("ftp://x/y"), std::string("file:///etc/passwd"), std::string("javascript:1"),
        std::string("//x"), "https://x/" + std::string(2048, 'a')}) {
    EXPECT_NE(error_of(msg("video", {{"link", bad}})).find("http(s)"), std::string::npos) << bad;
  }
  EXPECT_NE(error_of(msg("video", {{"link", 7}})).find("string"), std::string::npos);
  EXPECT_NE(error_of(msg("audio", {{"id", "a"}, {"caption", "x"}})).find("no caption"),
            std::string::npos);
  EXPECT_NE(error_of(msg("sticker", {{"id", "a"}, {"caption", "x"}})).find("no caption"),
            std::string::npos);
  EXPECT_NE(error_of(msg("image", {{"id", "a"}, {"filename", "x"}})).find("only for documents"),
            std::string::npos);
  EXPECT_NE(error_of(msg("image", {{"id", "a"}, {"ptt", true}})).find("only for audio"),
            std::string::npos);
  EXPECT_NE(error_of(msg("audio", {{"id", "a"}, {"ptt", "yes"}})).find("ptt"), std::string::npos);
  EXPECT_NE(error_of(msg("image", {{"id", "a"}, {"caption", 1}})).find("caption"),
            std::string::npos);
  EXPECT_NE(
      error_of(msg("image", {{"id", "a"}, {"caption", std::string(4097, 'c')}})).find("caption"),
      std::string::npos);
  EXPECT_NE(error_of(msg("document", {{"id", "a"}, {"filename", std::string(256, 'f')}}))
                .find("filename"),
            std::string::npos);
}

TEST(ParseLocationTest, BuildsALocationMessage) {
  auto m = parse_message(msg("location", {{"latitude", -33.8568},
                                          {"longitude", 151.2153},
                                          {"name", "Opera"},
                                          {"address", "Bennelong Point"}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE(m->message.has_location_message());
  EXPECT_DOUBLE_EQ(m->message.location_message().degrees_latitude(), -33.8568);
  EXPECT_DOUBLE_EQ(m->message.location_message().degrees_longitude(), 151.2153);
  EXPECT_EQ(m->message.location_message().name(), "Opera");
  EXPECT_EQ(m->message.location_message().address(), "Bennelong Point");
  EXPECT_EQ(m->body["location"]["name"], "Opera");
  // The edges are valid.
  EXPECT_TRUE(parse_message(msg("location", {{"latitude", 90}, {"longitude", -180}})).ok());
}

TEST(ParseErrorsTest, Location) {
  EXPECT_NE(error_of(msg("location", {{"longitude", 1}})).find("latitude"), std::string::npos);
  EXPECT_NE(error_of(msg("location", {{"latitude", 1}})).find("longitude"), std::string::npos);
  EXPECT_NE(error_of(msg("location", {{"latitude", "1"}, {"longitude", 1}})).find("number"),
            std::string::npos);
  EXPECT_NE(error_of(msg("location", {{"latitude", 90.0001}, {"longitude", 1}})).find("within"),
            std::string::npos);
  EXPECT_NE(error_of(msg("location", {{"latitude", -91}, {"longitude", 1}})).find("within"),
            std::string::npos);
  EXPECT_NE(error_of(msg("location", {{"latitude", 0}, {"longitude", 180.5}})).find("within"),
            std::string::npos);
  EXPECT_NE(error_of(msg("location",
                         {{"latitude", 0}, {"longitude", std::numeric_limits<double>::infinity()}}))
                .find("longitude"),
            std::string::npos);
  EXPECT_NE(
      error_of(msg("location", {{"latitude", 0}, {"longitude", 0}, {"name", 3}})).find("name"),
      std::string::npos);
}

TEST(ParseContactTest, PhonesBecomeAVcard) {
  auto m = parse_message(msg("contact", {{"name", "Ann; Lee"}, {"phones", {"+1 555 000 1111"}}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE(m->message.has_contact_message());
  const auto& c = m->message.contact_message();
  EXPECT_EQ(c.display_name(), "Ann; Lee");
  EXPECT_EQ(c.vcard().rfind("BEGIN:VCARD", 0), 0u);
  EXPECT_NE(c.vcard().find("FN:Ann\\; Lee\n"), std::string::npos);
  EXPECT_NE(c.vcard().find("waid=15550001111:+15550001111"), std::string::npos);
  EXPECT_NE(c.vcard().find("END:VCARD"), std::string::npos);
  EXPECT_EQ(m->body["contact"]["phones"][0], "+15550001111");
}

TEST(ParseContactTest, VcardIsPassedThrough) {
  const std::string vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Bo\nEND:VCARD";
  auto m = parse_message(msg("contact", {{"name", "Bo"}, {"vcard", vcard}}));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->message.contact_message().vcard(), vcard);
}

TEST(ParseErrorsTest, Contact) {
  EXPECT_NE(error_of(msg("contact", {{"phones", {"15550001111"}}})).find("contact.name"),
            std::string::npos);
  EXPECT_NE(error_of(msg("contact", {{"name", ""}, {"phones", {"15550001111"}}})).find("name"),
            std::string::npos);
  EXPECT_NE(error_of(msg("contact", {{"name", "A"}})).find("either phones or vcard"),
            std::string::npos);
  EXPECT_NE(error_of(msg("contact", {{"name", "A"},
                                     {"phones", {"15550001111"}},
                                     {"vcard", "BEGIN:VCARD\nEND:VCARD"}}))
                .find("either"),
            std::string::npos);
  EXPECT_NE(error_of(msg("contact", {{"name", "A"}, {"phones", json::array()}})).find("1-10"),
            std::string::npos);
  json many = json::array();
  for (int i = 0; i < 11; ++i) many.push_back("1555000111" + std::to_string(i));
  EXPECT_NE(error_of(msg("contact", {{"name", "A"}, {"phones", many}})).find("1-10"),
            std::string::npos);
  EXPECT_NE(error_of(msg("contact", {{"name", "A"}, {"phones", {"call me"}}})).find("phone"),
            std::string::npos);
  EXPECT_NE(error_of(msg("contact", {{"name", "A"}, {"phones", {12345678}}})).find("strings"),
            std::string::npos);
  EXPECT_NE(error_of(msg("contact", {{"name", "A"}, {"vcard", "hello"}})).find("vCard"),
            std::string::npos);
}

TEST(ParseReactionEditTest, TargetsAreNamedForTheManager) {
  auto r = parse_message(msg("reaction", {{"message_id", "3EB0AA"}, {"emoji", "👍"}}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->target);
  EXPECT_EQ(r->target->use, sessions::MessageTarget::Use::kReaction);
  EXPECT_EQ(r->target->message_id, "3EB0AA");
  EXPECT_EQ(r->target->text, "👍");
  auto removal = parse_message(msg("reaction", {{"message_id", "3EB0AA"}, {"emoji", ""}}));
  ASSERT_TRUE(removal.ok());
  EXPECT_EQ(removal->target->text, "");

  auto e = parse_message(msg("edit", {{"message_id", "3EB0BB"}, {"text", "fixed"}}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->target->use, sessions::MessageTarget::Use::kEdit);
  EXPECT_EQ(e->target->text, "fixed");
  EXPECT_EQ(e->body["edit"]["text"], "fixed");

  auto rv = revoke_message("15551234567@s.whatsapp.net", "3EB0CC");
  EXPECT_EQ(rv.type, "revoke");
  EXPECT_EQ(rv.target->use, sessions::MessageTarget::Use::kRevoke);
  EXPECT_EQ(rv.target->message_id, "3EB0CC");
}

TEST(ParseErrorsTest, ReactionAndEdit) {
  EXPECT_NE(error_of(msg("reaction", {{"emoji", "x"}})).find("message_id"), std::string::npos);
  EXPECT_NE(error_of(msg("reaction", {{"message_id", "a b"}, {"emoji", "x"}})).find("message_id"),
            std::string::npos);
  EXPECT_NE(error_of(msg("reaction", {{"message_id", "A"}})).find("emoji"), std::string::npos);
  EXPECT_NE(error_of(msg("reaction", {{"message_id", "A"}, {"emoji", 1}})).find("emoji"),
            std::string::npos);
  EXPECT_NE(error_of(msg("reaction", {{"message_id", "A"}, {"emoji", std::string(65, 'x')}}))
                .find("emoji"),
            std::string::npos);
  EXPECT_NE(error_of(msg("edit", {{"text", "x"}})).find("message_id"), std::string::npos);
  EXPECT_NE(error_of(msg("edit", {{"message_id", "A"}})).find("edit.text"), std::string::npos);
  EXPECT_NE(error_of(msg("edit", {{"message_id", "A"}, {"text", ""}})).find("edit.text"),
            std::string::npos);
  EXPECT_NE(error_of(msg("edit", {{"message_id", "A"}, {"text", std::string(4097, 'x')}}))
                .find("edit.text"),
            std::string::npos);
}

TEST(MediaTypeFitsTest, KindsAcceptTheirTypes) {
  using sessions::media_type_fits;
  EXPECT_TRUE(media_type_fits(MediaKind::kImage, "image/jpeg"));
  EXPECT_TRUE(media_type_fits(MediaKind::kImage, "image/png"));
  EXPECT_FALSE(media_type_fits(MediaKind::kImage, "application/pdf"));
  EXPECT_FALSE(media_type_fits(MediaKind::kImage, "image/gif"));
  EXPECT_TRUE(media_type_fits(MediaKind::kVideo, "video/mp4"));
  EXPECT_FALSE(media_type_fits(MediaKind::kVideo, "image/png"));
  EXPECT_TRUE(media_type_fits(MediaKind::kAudio, "audio/ogg; codecs=opus"));
  EXPECT_TRUE(media_type_fits(MediaKind::kAudio, "Audio/MPEG"));
  EXPECT_FALSE(media_type_fits(MediaKind::kAudio, "video/mp4"));
  EXPECT_TRUE(media_type_fits(MediaKind::kSticker, "image/webp"));
  EXPECT_FALSE(media_type_fits(MediaKind::kSticker, "image/png"));
  EXPECT_TRUE(media_type_fits(MediaKind::kDocument, "application/pdf"));
  EXPECT_TRUE(media_type_fits(MediaKind::kDocument, "image/png"));
  EXPECT_FALSE(media_type_fits(MediaKind::kDocument, ""));
}

}  // namespace
}  // namespace gw::api
