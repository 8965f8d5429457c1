// The seed message objects of POST /api/v1/messages → sessions::OutgoingMessage (every type of
// docs message_shapes: text, image, video, audio / voice note, document, sticker, location,
// contact, reaction, edit; with `recipient_type`, `quoted` and `mentions`), and the recipient
// JID rules. Pure functions: what needs the database (media files, quoted / reacted / edited
// messages) is only named here and resolved by SessionManager::send.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "gateway/api/messaging_routes.h"
#include "wa/client/messages.h"

namespace gw::api {
namespace {

using core::Status;
using nlohmann::json;

// A WhatsApp message id as clients send them back to us (ours are 3EB0 + hex; other clients use
// other alphabets): short, and nothing that could smuggle markup or path parts.
bool valid_message_id(const std::string& id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// Optional string member of `obj` of at most `max` bytes ("" when absent).
core::Result<std::string> optional_string(const json& obj, const std::string& path, const char* key,
                                          size_t max) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max) {
    return Status::invalid_argument(path + "." + key + " must be a string of at most " +
                                    std::to_string(max) + " characters");
  }
  return it->get<std::string>();
}

core::Result<std::string> required_string(const json& obj, const std::string& path, const char* key,
                                          size_t min, size_t max) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    return Status::invalid_argument(path + "." + key + " is required");
  }
  const std::string& v = it->get_ref<const std::string&>();
  if (v.size() < min || v.size() > max) {
    return Status::invalid_argument(path + "." + key + " must be " + std::to_string(min) + "-" +
                                    std::to_string(max) + " characters");
  }
  return v;
}

core::Result<const json*> type_object(const json& item, const std::string& type) {
  auto it = item.find(type);
  if (it == item.end() || !it->is_object()) {
    return Status::invalid_argument(type + " object is required for type '" + type + "'");
  }
  return &*it;
}

core::Result<std::string> message_id_field(const json& obj, const std::string& path) {
  auto it = obj.find("message_id");
  if (it == obj.end() || !it->is_string()) {
    return Status::invalid_argument(path + ".message_id is required");
  }
  std::string id = it->get<std::string>();
  if (!valid_message_id(id))
    return Status::invalid_argument(path + ".message_id is not a message id");
  return id;
}

// `quoted`: "ID" or {"message_id": "ID"}.
core::Result<std::optional<std::string>> parse_quoted(const json& item) {
  auto it = item.find("quoted");
  if (it == item.end() || it->is_null()) return std::optional<std::string>();
  std::string id;
  if (it->is_string()) {
    id = it->get<std::string>();
  } else if (it->is_object() && it->contains("message_id") && (*it)["message_id"].is_string()) {
    id = (*it)["message_id"].get<std::string>();
  } else {
    return Status::invalid_argument("quoted must be a message id or {\"message_id\": \"…\"}");
  }
  if (!valid_message_id(id)) return Status::invalid_argument("quoted is not a message id");
  return std::optional<std::string>(id);
}

// `mentions`: phone numbers or user JIDs (PN or LID) → user JIDs for contextInfo.mentionedJid.
core::Result<std::vector<std::string>> parse_mentions(const json& item) {
  std::vector<std::string> out;
  auto it = item.find("mentions");
  if (it == item.end() || it->is_null()) return out;
  if (!it->is_array()) return Status::invalid_argument("mentions must be an array");
  if (it->size() > kMaxMentions) {
    return Status::invalid_argument("at most " + std::to_string(kMaxMentions) + " mentions");
  }
  for (const auto& m : *it) {
    std::string raw;
    if (m.is_string()) {
      raw = m.get<std::string>();
    } else if (m.is_number_unsigned() || m.is_number_integer()) {
      raw = std::to_string(m.get<long long>());
    } else {
      return Status::invalid_argument("each mention must be a phone number or a user JID");
    }
    if (raw.size() > 4 && raw.ends_with("@lid")) {
      const std::string user = raw.substr(0, raw.size() - 4);
      if (user.empty() || user.size() > 20 || !std::all_of(user.begin(), user.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
          })) {
        return Status::invalid_argument("mention '" + raw + "' is not a user JID");
      }
      out.push_back(raw);
      continue;
    }
    auto jid = recipient_jid(raw, "individual");
    if (!jid.ok() || !jid->ends_with("@s.whatsapp.net")) {
      return Status::invalid_argument("mention '" + raw + "' is not a phone number or user JID");
    }
    out.push_back(*jid);
  }
  return out;
}

bool is_media_type(const std::string& type) {
  return type == "image" || type == "video" || type == "audio" || type == "document" ||
         type == "sticker";
}

// vCard text values: no line breaks; ';' ',' '\' escaped (RFC 6350 §3.4).
std::string vcard_escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\r' || c == '\n') {
      out.push_back(' ');
      continue;
    }
    if (c == ';' || c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

Status parse_media(const json& item, const std::string& type, sessions::OutgoingMessage& out,
                   const std::vector<std::string>& mentions) {
  using wa::client::MediaKind;
  CORE_ASSIGN_OR_RETURN(const json* obj, type_object(item, type));
  const bool has_id = obj->contains("id") && !(*obj)["id"].is_null();
  const bool has_link = obj->contains("link") && !(*obj)["link"].is_null();
  if (has_id == has_link) {
    return Status::invalid_argument(type + " needs either id (from POST /api/v1/media) or link");
  }
  sessions::OutgoingMedia media;
  json pub = json::object();
  if (has_id) {
    if (!(*obj)["id"].is_string()) return Status::invalid_argument(type + ".id must be a string");
    media.media_id = (*obj)["id"].get<std::string>();
    if (media.media_id.empty() || media.media_id.size() > 64 ||
        !std::all_of(media.media_id.begin(), media.media_id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      return Status::invalid_argument(type + ".id is not a media id");
    }
    pub["id"] = media.media_id;
  } else {
    if (!(*obj)["link"].is_string())
      return Status::invalid_argument(type + ".link must be a string");
    media.link = (*obj)["link"].get<std::string>();
    std::string lower = media.link.substr(0, 8);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (media.link.size() > 2048 ||
        !(lower.starts_with("http://") || lower.starts_with("https://"))) {
      return Status::invalid_argument(type +
                                      ".link must be an http(s) URL of at most 2048 characters");
    }
    pub["link"] = media.link;
  }
  const bool captioned = type == "image" || type == "video" || type == "document";
  if (!captioned && obj->contains("caption")) {
    return Status::invalid_argument(type + " messages have no caption");
  }
  if (type != "document" && (obj->contains("filename") || obj->contains("mimetype"))) {
    return Status::invalid_argument("filename and mimetype are only for documents");
  }
  if (type != "audio" && obj->contains("ptt")) {
    return Status::invalid_argument("ptt is only for audio");
  }
  CORE_ASSIGN_OR_RETURN(media.options.caption,
                        optional_string(*obj, type, "caption", kMaxTextLength));
  CORE_ASSIGN_OR_RETURN(media.options.file_name, optional_string(*obj, type, "filename", 255));
  // Accepted for seed compatibility only: the type sent is the one sniffed from the content.
  CORE_ASSIGN_OR_RETURN(std::string declared_mime, optional_string(*obj, type, "mimetype", 255));
  (void)declared_mime;
  if (auto p = obj->find("ptt"); p != obj->end() && !p->is_null()) {
    if (!p->is_boolean()) return Status::invalid_argument("audio.ptt must be true or false");
    media.options.ptt = p->get<bool>();
    pub["ptt"] = media.options.ptt;
  }
  if (!media.options.caption.empty()) pub["caption"] = media.options.caption;
  if (!media.options.file_name.empty()) pub["filename"] = media.options.file_name;
  media.kind = type == "image"     ? MediaKind::kImage
               : type == "video"   ? MediaKind::kVideo
               : type == "audio"   ? MediaKind::kAudio
               : type == "sticker" ? MediaKind::kSticker
                                   : MediaKind::kDocument;
  if (!mentions.empty()) {
    waproto::ContextInfo* ci = nullptr;
    switch (media.kind) {
      case MediaKind::kImage:
        ci = out.message.mutable_image_message()->mutable_context_info();
        break;
      case MediaKind::kVideo:
        ci = out.message.mutable_video_message()->mutable_context_info();
        break;
      default:
        ci = out.message.mutable_document_message()->mutable_context_info();
        break;
    }
    for (const auto& j : mentions) ci->add_mentioned_jid(j);
  }
  out.body[type] = std::move(pub);
  out.media = std::move(media);
  return Status();
}

Status parse_location(const json& item, sessions::OutgoingMessage& out) {
  CORE_ASSIGN_OR_RETURN(const json* obj, type_object(item, "location"));
  auto number = [&](const char* key, double limit) -> core::Result<double> {
    auto it = obj->find(key);
    if (it == obj->end() || !it->is_number()) {
      return Status::invalid_argument(std::string("location.") + key + " must be a number");
    }
    const double v = it->get<double>();
    if (!std::isfinite(v) || v < -limit || v > limit) {
      return Status::invalid_argument(std::string("location.") + key + " must be within ±" +
                                      std::to_string(static_cast<int>(limit)));
    }
    return v;
  };
  CORE_ASSIGN_OR_RETURN(double lat, number("latitude", 90));
  CORE_ASSIGN_OR_RETURN(double lon, number("longitude", 180));
  CORE_ASSIGN_OR_RETURN(std::string name, optional_string(*obj, "location", "name", 256));
  CORE_ASSIGN_OR_RETURN(std::string address, optional_string(*obj, "location", "address", 1024));
  out.body["location"] = {{"latitude", lat}, {"longitude", lon}};
  if (!name.empty()) out.body["location"]["name"] = name;
  if (!address.empty()) out.body["location"]["address"] = address;
  out.message = wa::client::make_location(lat, lon, std::move(name), std::move(address));
  return Status();
}

Status parse_contact(const json& item, sessions::OutgoingMessage& out) {
  CORE_ASSIGN_OR_RETURN(const json* obj, type_object(item, "contact"));
  CORE_ASSIGN_OR_RETURN(std::string name, required_string(*obj, "contact", "name", 1, 256));
  const bool has_phones = obj->contains("phones");
  const bool has_vcard = obj->contains("vcard");
  if (has_phones == has_vcard) {
    return Status::invalid_argument("contact needs either phones or vcard");
  }
  std::string vcard;
  if (has_vcard) {
    CORE_ASSIGN_OR_RETURN(vcard, required_string(*obj, "contact", "vcard", 1, 16384));
    if (!vcard.starts_with("BEGIN:VCARD") || vcard.find("END:VCARD") == std::string::npos) {
      return Status::invalid_argument("contact.vcard must be a vCard (BEGIN:VCARD … END:VCARD)");
    }
    out.body["contact"] = {{"name", name}, {"vcard", vcard}};
  } else {
    const json& phones = (*obj)["phones"];
    if (!phones.is_array() || phones.empty() || phones.size() > 10) {
      return Status::invalid_argument("contact.phones must be an array of 1-10 phone numbers");
    }
    vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:" + vcard_escape(name) + "\n";
    json listed = json::array();
    for (const auto& p : phones) {
      if (!p.is_string()) return Status::invalid_argument("contact.phones must be strings");
      auto jid = recipient_jid(p.get<std::string>(), "individual");
      if (!jid.ok() || !jid->ends_with("@s.whatsapp.net")) {
        return Status::invalid_argument("contact phone '" + p.get<std::string>() +
                                        "' is not a phone number");
      }
      const std::string digits = jid->substr(0, jid->find('@'));
      // waid lets WhatsApp offer "Message" / "Add" for the number.
      vcard += "TEL;type=CELL;waid=" + digits + ":+" + digits + "\n";
      listed.push_back("+" + digits);
    }
    vcard += "END:VCARD";
    out.body["contact"] = {{"name", name}, {"phones", listed}};
  }
  out.message = wa::client::make_contact(std::move(name), std::move(vcard));
  return Status();
}

}  // namespace

core::Result<std::string> recipient_jid(std::string_view to, std::string_view recipient_type) {
  if (recipient_type.empty()) recipient_type = "individual";
  if (recipient_type != "individual" && recipient_type != "group") {
    return Status::invalid_argument("recipient_type must be 'individual' or 'group'");
  }
  std::string_view t = to;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  auto ends_with = [&](std::string_view suffix) {
    return t.size() >= suffix.size() && t.substr(t.size() - suffix.size()) == suffix;
  };
  const bool group = recipient_type == "group" || ends_with("@g.us");
  if (group) {
    std::string_view id = ends_with("@g.us") ? t.substr(0, t.size() - 5) : t;
    if (id.empty() || id.size() > 64) return Status::invalid_argument("invalid group id");
    for (char c : id) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
        return Status::invalid_argument("invalid group id '" + std::string(id) + "'");
      }
    }
    return std::string(id) + "@g.us";
  }
  if (ends_with("@s.whatsapp.net")) t = t.substr(0, t.size() - 15);
  std::string digits;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if ((c == '+' && i == 0) || c == ' ' || c == '-') {
      continue;
    } else {
      return Status::invalid_argument(
          "'to' must be a phone number in international format (digits) or a group id");
    }
  }
  if (digits.size() < 5 || digits.size() > 20) {
    return Status::invalid_argument("'to' must have 5-20 digits");
  }
  return digits + "@s.whatsapp.net";
}

core::Result<sessions::OutgoingMessage> parse_message(const json& item) {
  if (!item.is_object()) return Status::invalid_argument("each message must be an object");
  if (!item.contains("to") || !(item["to"].is_string() || item["to"].is_number_integer())) {
    return Status::invalid_argument("'to' is required");
  }
  if (!item.contains("type") || !item["type"].is_string()) {
    return Status::invalid_argument("'type' is required");
  }
  std::string rtype = "individual";
  if (item.contains("recipient_type")) {
    if (!item["recipient_type"].is_string()) {
      return Status::invalid_argument("recipient_type must be a string");
    }
    rtype = item["recipient_type"].get<std::string>();
  }
  const std::string to = item["to"].is_string() ? item["to"].get<std::string>()
                                                : std::to_string(item["to"].get<long long>());
  CORE_ASSIGN_OR_RETURN(std::string jid, recipient_jid(to, rtype));
  const std::string type = item["type"].get<std::string>();
  sessions::OutgoingMessage out;
  out.to_jid = jid;
  out.type = type;

  CORE_ASSIGN_OR_RETURN(std::vector<std::string> mentions, parse_mentions(item));
  const bool may_mention =
      type == "text" || type == "image" || type == "video" || type == "document";
  if (!mentions.empty() && !may_mention) {
    return Status::invalid_argument("mentions are only allowed for text and captions");
  }
  CORE_ASSIGN_OR_RETURN(out.quoted_id, parse_quoted(item));
  if (out.quoted_id && (type == "reaction" || type == "edit")) {
    return Status::invalid_argument("quoted is not allowed for type '" + type + "'");
  }

  if (type == "text") {
    const auto text = item.find("text");
    if (text == item.end() || !text->is_object() || !text->contains("body") ||
        !(*text)["body"].is_string()) {
      return Status::invalid_argument("text.body is required for type 'text'");
    }
    std::string body = (*text)["body"].get<std::string>();
    if (body.empty() || body.size() > kMaxTextLength) {
      return Status::invalid_argument("text.body must be 1-4096 characters");
    }
    out.body = {{"text", body}};
    out.message = mentions.empty() ? wa::client::make_text(std::move(body))
                                   : wa::client::make_extended_text(std::move(body), mentions);
  } else if (is_media_type(type)) {
    CORE_RETURN_IF_ERROR(parse_media(item, type, out, mentions));
  } else if (type == "location") {
    CORE_RETURN_IF_ERROR(parse_location(item, out));
  } else if (type == "contact") {
    CORE_RETURN_IF_ERROR(parse_contact(item, out));
  } else if (type == "reaction") {
    CORE_ASSIGN_OR_RETURN(const json* obj, type_object(item, "reaction"));
    CORE_ASSIGN_OR_RETURN(std::string target, message_id_field(*obj, "reaction"));
    auto emoji = obj->find("emoji");
    if (emoji == obj->end() || !emoji->is_string() ||
        emoji->get_ref<const std::string&>().size() > 64) {
      return Status::invalid_argument(
          "reaction.emoji is required (one emoji, or \"\" to remove the reaction)");
    }
    sessions::MessageTarget t{sessions::MessageTarget::Use::kReaction, target,
                              emoji->get<std::string>()};
    out.body = {{"reaction", {{"message_id", target}, {"emoji", t.text}}}};
    out.target = std::move(t);
  } else if (type == "edit") {
    CORE_ASSIGN_OR_RETURN(const json* obj, type_object(item, "edit"));
    CORE_ASSIGN_OR_RETURN(std::string target, message_id_field(*obj, "edit"));
    CORE_ASSIGN_OR_RETURN(std::string text,
                          required_string(*obj, "edit", "text", 1, kMaxTextLength));
    out.body = {{"edit", {{"message_id", target}, {"text", text}}}};
    out.target = sessions::MessageTarget{sessions::MessageTarget::Use::kEdit, target, text};
  } else {
    return Status::invalid_argument("unsupported message type '" + type + "'");
  }
  if (!mentions.empty()) out.body["mentions"] = mentions;
  if (out.quoted_id) out.body["quoted"] = *out.quoted_id;
  return out;
}

sessions::OutgoingMessage revoke_message(const std::string& chat_jid,
                                         const std::string& message_id) {
  sessions::OutgoingMessage out;
  out.to_jid = chat_jid;
  out.type = "revoke";
  out.body = {{"revoke", {{"message_id", message_id}}}};
  out.target = sessions::MessageTarget{sessions::MessageTarget::Use::kRevoke, message_id, ""};
  return out;
}

}  // namespace gw::api
