// Building and reading waproto::Message for every kind the gateway sends and receives: text,
// extended text (link preview fields, mentions, replies), media (image, video, audio / voice
// note, document, sticker) from an upload, location, contact card, reaction, edit and revoke.
// Also the stanza attributes each kind needs (type, edit, enc mediatype) and the unwrapping of
// received messages (DSM, ephemeral, view-once, FutureProof wrappers).
//
// Threading: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "proto/message.pb.h"
#include "wa/client/media.h"

namespace wa::client {

// What goes on the <message> stanza besides the ciphertext.
struct StanzaKind {
  std::string type = "text";  // text, media, reaction, poll
  std::string edit;           // "1" edit, "7" revoke, "8" admin revoke, "" none
  std::string media_type;     // enc mediatype: image, video, audio, ptt, document, sticker
};
StanzaKind stanza_kind(const waproto::Message& m);

// A reply target for extended text.
struct QuotedMessage {
  std::string id;
  std::string sender;  // participant JID (sender of the quoted message)
  waproto::Message message;
};

waproto::Message make_text(std::string text);
waproto::Message make_extended_text(std::string text, std::vector<std::string> mentions = {},
                                    const QuotedMessage* quoted = nullptr,
                                    std::string matched_url = {}, std::string title = {},
                                    std::string description = {});

// The result of an upload (client.h upload_media) that a media message refers to.
struct UploadedMedia {
  MediaKind kind = MediaKind::kDocument;
  std::string url;
  std::string direct_path;
  core::Bytes media_key;
  core::Bytes file_sha256;
  core::Bytes file_enc_sha256;
  uint64_t file_length = 0;
  int64_t media_key_timestamp = 0;
};

struct MediaOptions {
  std::string mimetype;  // default per kind
  std::string caption;
  std::string file_name;  // documents
  uint32_t width = 0, height = 0, seconds = 0;
  bool ptt = false;  // audio as voice note
  core::Bytes jpeg_thumbnail;
};

waproto::Message make_media(const UploadedMedia& up, const MediaOptions& opts);
waproto::Message make_location(double lat, double lon, std::string name = {},
                               std::string address = {});
waproto::Message make_contact(std::string display_name, std::string vcard);
// key_* describe the message reacted to / edited / revoked.
waproto::MessageKey make_key(std::string remote_jid, std::string id, bool from_me,
                             std::string participant = {});
waproto::Message make_reaction(const waproto::MessageKey& key, std::string emoji, int64_t now_ms);
waproto::Message make_edit(const waproto::MessageKey& key, std::string new_text, int64_t now_ms);
waproto::Message make_revoke(const waproto::MessageKey& key);

// Removes DSM / ephemeral / view-once / document-with-caption wrappers. Sets the flags.
struct Unwrapped {
  waproto::Message message;
  std::string dsm_destination;  // set when it was a DeviceSentMessage
  bool view_once = false;
  bool ephemeral = false;
};
Unwrapped unwrap_message(waproto::Message m);

// "text", "extended_text", "image", "video", "audio", "ptt", "document", "sticker",
// "location", "contact", "reaction", "edit", "revoke", "protocol", "skdm", "unknown".
std::string content_kind(const waproto::Message& m);
// The text of text / extended text / captions ("" otherwise).
std::string content_text(const waproto::Message& m);

// Which media a received message carries (nullopt if none), with its fields.
std::optional<UploadedMedia> media_of(const waproto::Message& m);

// A WhatsApp Web message id: "3EB0" + 18 uppercase hex chars.
std::string new_message_id(int64_t unix_now, std::string_view own_user, core::Random& random);

}  // namespace wa::client
