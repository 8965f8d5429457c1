#include "wa/client/messages.h"

#include "crypto/hash.h"

namespace wa::client {

StanzaKind stanza_kind(const waproto::Message& m) {
  StanzaKind k;
  if (m.has_reaction_message()) {
    k.type = "reaction";
  } else if (m.has_protocol_message()) {
    const auto& p = m.protocol_message();
    if (p.type() == waproto::Message_ProtocolMessage::REVOKE) k.edit = "7";
    if (p.type() == waproto::Message_ProtocolMessage::MESSAGE_EDIT) k.edit = "1";
  } else if (m.has_image_message()) {
    k.type = "media";
    k.media_type = "image";
  } else if (m.has_video_message()) {
    k.type = "media";
    k.media_type = m.video_message().gif_playback() ? "gif" : "video";
  } else if (m.has_audio_message()) {
    k.type = "media";
    k.media_type = m.audio_message().ptt() ? "ptt" : "audio";
  } else if (m.has_document_message()) {
    k.type = "media";
    k.media_type = "document";
  } else if (m.has_sticker_message()) {
    k.type = "media";
    k.media_type = "sticker";
  } else if (m.has_location_message()) {
    k.type = "media";
    k.media_type = "location";
  } else if (m.has_contact_message()) {
    k.type = "media";
    k.media_type = "vcard";
  }
  return k;
}

waproto::Message make_text(std::string text) {
  waproto::Message m;
  m.set_conversation(std::move(text));
  return m;
}

waproto::Message make_extended_text(std::string text, std::vector<std::string> mentions,
                                    const QuotedMessage* quoted, std::string matched_url,
                                    std::string title, std::string description) {
  waproto::Message m;
  auto* e = m.mutable_extended_text_message();
  e->set_text(std::move(text));
  if (!matched_url.empty()) {
    e->set_matched_text(matched_url);
    e->set_canonical_url(std::move(matched_url));
    e->set_preview_type(waproto::Message_ExtendedTextMessage::NONE);
    if (!title.empty()) e->set_title(std::move(title));
    if (!description.empty()) e->set_description(std::move(description));
  }
  if (!mentions.empty() || quoted != nullptr) {
    auto* ci = e->mutable_context_info();
    for (auto& j : mentions) ci->add_mentioned_jid(std::move(j));
    if (quoted != nullptr) {
      ci->set_stanza_id(quoted->id);
      ci->set_participant(quoted->sender);
      *ci->mutable_quoted_message() = quoted->message;
    }
  }
  return m;
}

namespace {

// Every media message type carries the same encrypted-file fields under the same names.
template <typename MediaMessage>
void set_file_fields(MediaMessage* x, const UploadedMedia& up, const std::string& mimetype) {
  auto str = [](const core::Bytes& b) { return std::string(b.begin(), b.end()); };
  x->set_url(up.url);
  x->set_direct_path(up.direct_path);
  x->set_mimetype(mimetype);
  x->set_media_key(str(up.media_key));
  x->set_file_sha256(str(up.file_sha256));
  x->set_file_enc_sha256(str(up.file_enc_sha256));
  x->set_file_length(up.file_length);
  x->set_media_key_timestamp(up.media_key_timestamp);
}

}  // namespace

waproto::Message make_media(const UploadedMedia& up, const MediaOptions& o) {
  waproto::Message m;
  auto str = [](const core::Bytes& b) { return std::string(b.begin(), b.end()); };
  switch (up.kind) {
    case MediaKind::kImage: {
      auto* x = m.mutable_image_message();
      set_file_fields(x, up, o.mimetype.empty() ? "image/jpeg" : o.mimetype);
      if (!o.caption.empty()) x->set_caption(o.caption);
      if (o.width) x->set_width(o.width);
      if (o.height) x->set_height(o.height);
      if (!o.jpeg_thumbnail.empty()) x->set_jpeg_thumbnail(str(o.jpeg_thumbnail));
      break;
    }
    case MediaKind::kVideo: {
      auto* x = m.mutable_video_message();
      set_file_fields(x, up, o.mimetype.empty() ? "video/mp4" : o.mimetype);
      if (!o.caption.empty()) x->set_caption(o.caption);
      if (o.width) x->set_width(o.width);
      if (o.height) x->set_height(o.height);
      if (o.seconds) x->set_seconds(o.seconds);
      if (!o.jpeg_thumbnail.empty()) x->set_jpeg_thumbnail(str(o.jpeg_thumbnail));
      break;
    }
    case MediaKind::kAudio: {
      auto* x = m.mutable_audio_message();
      set_file_fields(x, up, o.mimetype.empty() ? "audio/ogg; codecs=opus" : o.mimetype);
      x->set_ptt(o.ptt);
      if (o.seconds) x->set_seconds(o.seconds);
      break;
    }
    case MediaKind::kSticker: {
      auto* x = m.mutable_sticker_message();
      set_file_fields(x, up, o.mimetype.empty() ? "image/webp" : o.mimetype);
      if (o.width) x->set_width(o.width);
      if (o.height) x->set_height(o.height);
      break;
    }
    default: {
      auto* x = m.mutable_document_message();
      set_file_fields(x, up, o.mimetype.empty() ? "application/octet-stream" : o.mimetype);
      x->set_file_name(o.file_name.empty() ? "file" : o.file_name);
      x->set_title(o.file_name.empty() ? "file" : o.file_name);
      if (!o.caption.empty()) x->set_caption(o.caption);
      break;
    }
  }
  return m;
}

waproto::Message make_location(double lat, double lon, std::string name, std::string address) {
  waproto::Message m;
  auto* l = m.mutable_location_message();
  l->set_degrees_latitude(lat);
  l->set_degrees_longitude(lon);
  if (!name.empty()) l->set_name(std::move(name));
  if (!address.empty()) l->set_address(std::move(address));
  return m;
}

waproto::Message make_contact(std::string display_name, std::string vcard) {
  waproto::Message m;
  auto* c = m.mutable_contact_message();
  c->set_display_name(std::move(display_name));
  c->set_vcard(std::move(vcard));
  return m;
}

waproto::MessageKey make_key(std::string remote_jid, std::string id, bool from_me,
                             std::string participant) {
  waproto::MessageKey k;
  k.set_remote_jid(std::move(remote_jid));
  k.set_id(std::move(id));
  k.set_from_me(from_me);
  if (!participant.empty()) k.set_participant(std::move(participant));
  return k;
}

waproto::Message make_reaction(const waproto::MessageKey& key, std::string emoji, int64_t now_ms) {
  waproto::Message m;
  auto* r = m.mutable_reaction_message();
  *r->mutable_key() = key;
  r->set_text(std::move(emoji));
  r->set_sender_timestamp_ms(now_ms);
  return m;
}

waproto::Message make_edit(const waproto::MessageKey& key, std::string new_text, int64_t now_ms) {
  waproto::Message m;
  auto* p = m.mutable_protocol_message();
  *p->mutable_key() = key;
  p->set_type(waproto::Message_ProtocolMessage::MESSAGE_EDIT);
  p->mutable_edited_message()->set_conversation(std::move(new_text));
  p->set_timestamp_ms(now_ms);
  return m;
}

waproto::Message make_revoke(const waproto::MessageKey& key) {
  waproto::Message m;
  auto* p = m.mutable_protocol_message();
  *p->mutable_key() = key;
  p->set_type(waproto::Message_ProtocolMessage::REVOKE);
  return m;
}

Unwrapped unwrap_message(waproto::Message m) {
  Unwrapped u;
  if (m.has_device_sent_message()) {
    u.dsm_destination = m.device_sent_message().destination_jid();
    waproto::Message inner = m.device_sent_message().message();
    if (m.has_message_context_info() && !inner.has_message_context_info()) {
      *inner.mutable_message_context_info() = m.message_context_info();
    }
    m = std::move(inner);
  }
  for (int depth = 0; depth < 4; ++depth) {
    if (m.has_ephemeral_message()) {
      u.ephemeral = true;
      m = waproto::Message(m.ephemeral_message().message());
    } else if (m.has_view_once_message()) {
      u.view_once = true;
      m = waproto::Message(m.view_once_message().message());
    } else if (m.has_view_once_message_v2()) {
      u.view_once = true;
      m = waproto::Message(m.view_once_message_v2().message());
    } else if (m.has_document_with_caption_message()) {
      m = waproto::Message(m.document_with_caption_message().message());
    } else if (m.has_edited_message()) {
      m = waproto::Message(m.edited_message().message());
    } else {
      break;
    }
  }
  u.message = std::move(m);
  return u;
}

std::string content_kind(const waproto::Message& m) {
  if (m.has_conversation()) return "text";
  if (m.has_extended_text_message()) return "extended_text";
  if (m.has_image_message()) return "image";
  if (m.has_video_message()) return "video";
  if (m.has_audio_message()) return m.audio_message().ptt() ? "ptt" : "audio";
  if (m.has_document_message()) return "document";
  if (m.has_sticker_message()) return "sticker";
  if (m.has_location_message()) return "location";
  if (m.has_contact_message()) return "contact";
  if (m.has_contacts_array_message()) return "contacts";
  if (m.has_reaction_message()) return "reaction";
  if (m.has_protocol_message()) {
    switch (m.protocol_message().type()) {
      case waproto::Message_ProtocolMessage::REVOKE:
        return "revoke";
      case waproto::Message_ProtocolMessage::MESSAGE_EDIT:
        return "edit";
      default:
        return "protocol";
    }
  }
  if (m.has_sender_key_distribution_message()) return "skdm";
  return "unknown";
}

std::string content_text(const waproto::Message& m) {
  if (m.has_conversation()) return m.conversation();
  if (m.has_extended_text_message()) return m.extended_text_message().text();
  if (m.has_image_message()) return m.image_message().caption();
  if (m.has_video_message()) return m.video_message().caption();
  if (m.has_document_message()) return m.document_message().caption();
  if (m.has_protocol_message() && m.protocol_message().has_edited_message()) {
    return content_text(m.protocol_message().edited_message());
  }
  if (m.has_reaction_message()) return m.reaction_message().text();
  return "";
}

std::optional<UploadedMedia> media_of(const waproto::Message& m) {
  UploadedMedia u;
  auto b = [](const std::string& s) { return core::Bytes(s.begin(), s.end()); };
#define SL_FILL(msg, KIND)                           \
  u.kind = KIND;                                     \
  u.url = msg.url();                                 \
  u.direct_path = msg.direct_path();                 \
  u.media_key = b(msg.media_key());                  \
  u.file_sha256 = b(msg.file_sha256());              \
  u.file_enc_sha256 = b(msg.file_enc_sha256());      \
  u.file_length = msg.file_length();                 \
  u.media_key_timestamp = msg.media_key_timestamp(); \
  return u;
  if (m.has_image_message()) {
    SL_FILL(m.image_message(), MediaKind::kImage)
  }
  if (m.has_video_message()) {
    SL_FILL(m.video_message(), MediaKind::kVideo)
  }
  if (m.has_audio_message()) {
    SL_FILL(m.audio_message(), MediaKind::kAudio)
  }
  if (m.has_document_message()) {
    SL_FILL(m.document_message(), MediaKind::kDocument)
  }
  if (m.has_sticker_message()) {
    SL_FILL(m.sticker_message(), MediaKind::kSticker)
  }
#undef SL_FILL
  return std::nullopt;
}

std::string new_message_id(int64_t unix_now, std::string_view own_user, core::Random& random) {
  core::Bytes input;
  core::put_uint_be(input, static_cast<uint64_t>(unix_now), 8);
  core::append(input, core::as_view(own_user));
  core::append(input, core::as_view("@c.us"));
  core::append(input, random.bytes(16));
  auto h = crypto::sha256(input);
  static const char* hex = "0123456789ABCDEF";
  std::string id = "3EB0";
  for (int i = 0; i < 9; ++i) {
    id += hex[h[static_cast<size_t>(i)] >> 4];
    id += hex[h[static_cast<size_t>(i)] & 15];
  }
  return id;
}

}  // namespace wa::client
