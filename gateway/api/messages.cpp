// POST /api/v1/messages?sessionId= (seed shapes: one object or an array; text for now) and
// GET /api/v1/messages/:id?sessionId= (status history).
//
// Every accepted message is persisted as "queued" before the answer (SessionManager::send), so
// a 200 with a messageId means the message will be sent even across a restart of the
// connection. Idempotency-Key: a retried request with the same key (per session) returns the
// first attempt's messageId and sends nothing; for an array, item i uses "<key>#<i>".
#include <algorithm>
#include <cctype>

#include "gateway/api/account_routes.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"
#include "gateway/services.h"
#include "wa/client/messages.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

nlohmann::json item_error(const std::string& message) {
  return {{"status", "error"}, {"message", message}};
}

// Sends items[index…] one after another, collecting per-item results.
struct Batch : std::enable_shared_from_this<Batch> {
  sessions::SessionManager* mgr = nullptr;
  std::string session_id;
  std::vector<nlohmann::json> items;
  std::optional<std::string> idempotency_key;
  bool admin = false;  // may send any uploaded file
  nlohmann::json results = nlohmann::json::array();
  std::function<void(nlohmann::json)> finish;

  void next(size_t i) {
    if (i >= items.size()) {
      finish(std::move(results));
      return;
    }
    auto parsed = parse_message(items[i]);
    if (!parsed.ok()) {
      results.push_back(item_error(parsed.status().message()));
      next(i + 1);
      return;
    }
    if (idempotency_key) {
      parsed->idempotency_key =
          items.size() == 1 ? *idempotency_key : *idempotency_key + "#" + std::to_string(i);
    }
    if (parsed->media) parsed->media->any_owner = admin;
    const std::string jid = parsed->to_jid;
    auto self = shared_from_this();
    mgr->send(session_id, std::move(*parsed),
              [self, i, jid](core::Result<sessions::SendOutcome> r) {
                if (!r.ok()) {
                  self->results.push_back(item_error(r.status().message()));
                } else {
                  nlohmann::json res = {{"status", "success"},
                                        {"message", "Message sent to " + jid},
                                        {"messageId", r->record.message_id}};
                  if (r->duplicate) res["duplicate"] = true;
                  self->results.push_back(std::move(res));
                }
                self->next(i + 1);
              });
  }
};

nlohmann::json record_json(const storage::MessageRecord& m,
                           const std::vector<storage::MessageStatusChange>& history) {
  nlohmann::json h = nlohmann::json::array();
  for (const auto& c : history) {
    nlohmann::json e = {{"status", c.status}, {"at", auth::iso_time(c.at)}};
    if (c.detail) e["detail"] = *c.detail;
    h.push_back(std::move(e));
  }
  nlohmann::json body = nlohmann::json::parse(m.body_json, nullptr, false);
  if (body.is_discarded()) body = nlohmann::json::object();
  return {{"messageId", m.message_id},
          {"sessionId", m.session_id},
          {"direction", m.direction},
          {"to", m.direction == "out" ? nlohmann::json(m.chat_jid) : nlohmann::json(nullptr)},
          {"chat", m.chat_jid},
          {"type", m.type},
          {"content", body},
          {"status", m.status},
          {"error", m.error ? nlohmann::json(*m.error) : nlohmann::json(nullptr)},
          {"createdAt", auth::iso_time(m.created_at)},
          {"updatedAt", auth::iso_time(m.updated_at)},
          {"history", h}};
}

}  // namespace

core::Result<std::string> recipient_jid(std::string_view to, std::string_view recipient_type) {
  if (recipient_type.empty()) recipient_type = "individual";
  if (recipient_type != "individual" && recipient_type != "group") {
    return core::Status::invalid_argument("recipient_type must be 'individual' or 'group'");
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
    if (id.empty() || id.size() > 64) return core::Status::invalid_argument("invalid group id");
    for (char c : id) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-') {
        return core::Status::invalid_argument("invalid group id '" + std::string(id) + "'");
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
      return core::Status::invalid_argument(
          "'to' must be a phone number in international format (digits) or a group id");
    }
  }
  if (digits.size() < 5 || digits.size() > 20) {
    return core::Status::invalid_argument("'to' must have 5-20 digits");
  }
  return digits + "@s.whatsapp.net";
}

core::Result<sessions::OutgoingMessage> parse_message(const nlohmann::json& item) {
  if (!item.is_object()) return core::Status::invalid_argument("each message must be an object");
  if (!item.contains("to") || !(item["to"].is_string() || item["to"].is_number_integer())) {
    return core::Status::invalid_argument("'to' is required");
  }
  if (!item.contains("type") || !item["type"].is_string()) {
    return core::Status::invalid_argument("'type' is required");
  }
  std::string rtype = "individual";
  if (item.contains("recipient_type")) {
    if (!item["recipient_type"].is_string()) {
      return core::Status::invalid_argument("recipient_type must be a string");
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
  if (type == "text") {
    const auto text = item.find("text");
    if (text == item.end() || !text->is_object() || !text->contains("body") ||
        !(*text)["body"].is_string()) {
      return core::Status::invalid_argument("text.body is required for type 'text'");
    }
    std::string body = (*text)["body"].get<std::string>();
    if (body.empty() || body.size() > kMaxTextLength) {
      return core::Status::invalid_argument("text.body must be 1-4096 characters");
    }
    out.body = {{"text", body}};
    out.message = wa::client::make_text(std::move(body));
    return out;
  }
  if (type == "image" || type == "document") {
    const auto obj = item.find(type);
    if (obj == item.end() || !obj->is_object()) {
      return core::Status::invalid_argument(type + " object is required for type '" + type + "'");
    }
    if (obj->contains("link") && !obj->contains("id")) {
      return core::Status::unimplemented(type +
                                         ".link is not supported yet: upload the file with "
                                         "POST /api/v1/media and send " +
                                         type + ".id");
    }
    if (!obj->contains("id") || !(*obj)["id"].is_string()) {
      return core::Status::invalid_argument(type + ".id is required (from POST /api/v1/media)");
    }
    const std::string media_id = (*obj)["id"].get<std::string>();
    if (media_id.empty() || media_id.size() > 64 ||
        !std::all_of(media_id.begin(), media_id.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
      return core::Status::invalid_argument(type + ".id is not a media id");
    }
    sessions::OutgoingMedia media;
    media.media_id = media_id;
    media.kind = type == "image" ? wa::client::MediaKind::kImage : wa::client::MediaKind::kDocument;
    auto text_field = [&](const char* key, size_t max) -> core::Result<std::string> {
      if (!obj->contains(key)) return std::string();
      if (!(*obj)[key].is_string() || (*obj)[key].get<std::string>().size() > max) {
        return core::Status::invalid_argument(type + "." + key + " must be a string of at most " +
                                              std::to_string(max) + " characters");
      }
      return (*obj)[key].get<std::string>();
    };
    CORE_ASSIGN_OR_RETURN(media.options.caption, text_field("caption", kMaxTextLength));
    CORE_ASSIGN_OR_RETURN(media.options.file_name, text_field("filename", 255));
    out.body = {{type, {{"id", media_id}}}};
    if (!media.options.caption.empty()) out.body[type]["caption"] = media.options.caption;
    if (!media.options.file_name.empty()) out.body[type]["filename"] = media.options.file_name;
    out.media = std::move(media);
    return out;
  }
  return core::Status::invalid_argument("unsupported message type '" + type + "'");
}

void install_messages_routes(http::Router& router, MessagingDeps& deps) {
  auto& mgr = deps.sessions;
  Services& services = deps.services;

  router.post(
      "/api/v1/messages",
      [&mgr](const RequestPtr& req, Responder respond) {
        auto session_id = req->query_param("sessionId");
        if (!session_id || session_id->empty()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "sessionId query parameter is required"));
          return;
        }
        auto s = mgr.find(*session_id);
        if (!s || !auth::can_access_session(auth::principal_of(*req), *session_id, s->owner_id) ||
            s->state != sessions::State::kConnected) {
          respond(Response::error_for(*req, 404, "not_found",
                                      "Session " + *session_id + " not found or not connected."));
          return;
        }
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok()) {
          respond(Response::error_for(*req, 400, "invalid_argument", st.message()));
          return;
        }
        auto batch = std::make_shared<Batch>();
        batch->mgr = &mgr;
        batch->session_id = *session_id;
        batch->admin = auth::principal_of(*req).is_admin();
        if (body.is_array()) {
          if (body.empty() || body.size() > kMaxMessagesPerRequest) {
            respond(Response::error_for(*req, 400, "invalid_argument",
                                        "send 1-100 messages per request"));
            return;
          }
          for (auto& m : body) batch->items.push_back(std::move(m));
        } else {
          batch->items.push_back(std::move(body));
        }
        if (auto key = req->header("Idempotency-Key"); key && !key->empty()) {
          if (key->size() > 128) {
            respond(Response::error_for(*req, 400, "invalid_argument",
                                        "Idempotency-Key must be at most 128 characters"));
            return;
          }
          batch->idempotency_key = std::string(*key);
        }
        auto shared = share(std::move(respond));
        batch->finish = [shared](nlohmann::json results) {
          (*shared)(Response::json(200, results));
        };
        batch->next(0);
      },
      http::RouteOptions().auth_tag("session-access").seed());

  router.get(
      "/api/v1/messages/:id",
      [&mgr, &services](const RequestPtr& req, Responder respond) {
        auto session_id = req->query_param("sessionId");
        if (!session_id || session_id->empty()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "sessionId query parameter is required"));
          return;
        }
        auto s = mgr.find(*session_id);
        if (!s || !auth::can_access_session(auth::principal_of(*req), *session_id, s->owner_id)) {
          respond(Response::error_for(*req, 404, "not_found",
                                      "Session " + *session_id + " not found."));
          return;
        }
        struct Found {
          std::optional<storage::MessageRecord> record;
          std::vector<storage::MessageStatusChange> history;
        };
        const std::string sid = *session_id;
        const std::string mid(req->param("id"));
        services.run_blocking(
            [&services, sid, mid]() -> core::Result<Found> {
              Found f;
              CORE_ASSIGN_OR_RETURN(f.record,
                                    services.storage().messages().find_outbound(sid, mid));
              if (f.record) {
                CORE_ASSIGN_OR_RETURN(f.history,
                                      services.storage().messages().history(f.record->row_id));
              }
              return f;
            },
            [req, mid, respond = std::move(respond)](core::Result<Found> r) mutable {
              if (!r.ok()) {
                respond(Response::from_status(*req, r.status()));
                return;
              }
              if (!r->record) {
                respond(
                    Response::error_for(*req, 404, "not_found", "Message " + mid + " not found."));
                return;
              }
              respond(Response::json(
                  200, {{"status", "success"}, {"message", record_json(*r->record, r->history)}}));
            });
      },
      http::RouteOptions().auth_tag("session-access").seed());
}

}  // namespace gw::api
