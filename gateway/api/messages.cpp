// POST /api/v1/messages?sessionId= (seed shapes: one object or an array of up to 100; every type
// parse_message accepts) and GET /api/v1/messages/:id?sessionId= (status history).
//
// Items are handled one after another, in order. A `link` medium is first downloaded by the
// MediaFetcher (SSRF-guarded, stored like an upload of this session), then sent like an `id`.
// Every accepted message is persisted as "queued" before the answer (SessionManager::send), so
// a 200 with a messageId means the message will be sent even across a restart of the
// connection. Idempotency-Key: a retried request with the same key (per session) returns the
// first attempt's messageId and sends nothing; for an array, item i uses "<key>#<i>".
#include <algorithm>
#include <cctype>
#include <iterator>

#include "gateway/api/account_routes.h"
#include "gateway/api/media_fetch.h"
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
  auth::Principal principal;
  MediaFetcher* fetcher = nullptr;
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
    if (parsed->media) parsed->media->any_owner = principal.is_admin();  // any uploaded file
    if (parsed->media && !parsed->media->link.empty()) {
      if (!fetcher) {
        results.push_back(item_error(parsed->type +
                                     ".link is not supported by this server: upload the file "
                                     "with POST /api/v1/media and send " +
                                     parsed->type + ".id"));
        next(i + 1);
        return;
      }
      auto self = shared_from_this();
      auto msg = std::make_shared<sessions::OutgoingMessage>(std::move(*parsed));
      fetcher->fetch(
          msg->media->link, principal, session_id, [self, i, msg](core::Result<FetchedMedia> r) {
            if (!r.ok()) {
              self->results.push_back(item_error(msg->type + ".link: " + r.status().message()));
              self->next(i + 1);
              return;
            }
            msg->media->media_id = r->media_id;
            msg->media->link.clear();
            if (msg->media->options.file_name.empty() &&
                msg->media->kind == wa::client::MediaKind::kDocument) {
              msg->media->options.file_name = r->file_name;
            }
            self->send(i, std::move(*msg));
          });
      return;
    }
    send(i, std::move(*parsed));
  }

  void send(size_t i, sessions::OutgoingMessage msg) {
    const std::string jid = msg.to_jid;
    auto self = shared_from_this();
    mgr->send(session_id, std::move(msg), [self, i, jid](core::Result<sessions::SendOutcome> r) {
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
  if (!body.is_object()) body = nlohmann::json::object();
  // "_wa" / "_media" are the manager's resend data, not content.
  for (auto it = body.begin(); it != body.end();) {
    it = it.key().starts_with("_") ? body.erase(it) : std::next(it);
  }
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

void install_messages_routes(http::Router& router, MessagingDeps& deps) {
  auto& mgr = deps.sessions;
  Services& services = deps.services;
  MessagingDeps* d = &deps;  // media_fetcher is read per request (it may be set after install)

  router.post(
      "/api/v1/messages",
      [&mgr, d](const RequestPtr& req, Responder respond) {
        auto session_id = req->query_param("sessionId");
        if (!session_id || session_id->empty()) {
          respond(Response::error_for(*req, 400, "invalid_argument",
                                      "sessionId query parameter is required"));
          return;
        }
        auto s = accessible_session(mgr, *req, *session_id);
        if (!s || !sessions::accepts_messages(*s)) {
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
        batch->principal = auth::principal_of(*req);
        batch->fetcher = d->media_fetcher;
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
        if (!accessible_session(mgr, *req, *session_id)) {
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
