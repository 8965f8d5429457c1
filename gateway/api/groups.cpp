// Groups of a connected session (all ?sessionId=, auth tag "session-access"):
//   GET  /api/v1/groups                      the groups the account participates in
//   POST /api/v1/groups                      create {subject, participants[]} → 201
//   GET  /api/v1/groups/:jid                 metadata ("1203…@g.us" or the bare id)
//   POST /api/v1/groups/:jid/participants    {action: add|remove|promote|demote, participants[]}
//   POST /api/v1/groups/:jid/leave
// Every call is a live IQ through the session's wa::Client (nothing is cached here). Group
// changes are recorded as activities with counts only (no subjects, no numbers).
#include <algorithm>

#include "gateway/api/group_contact_common.h"

#include "wa/client/queries.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

constexpr size_t kMaxSubjectChars = 100;
constexpr size_t kMaxParticipantsPerRequest = 256;

size_t utf8_chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

core::Result<std::string> group_jid(std::string_view raw) {
  std::string_view id = raw;
  constexpr std::string_view kSuffix = "@g.us";
  if (id.size() > kSuffix.size() && id.substr(id.size() - kSuffix.size()) == kSuffix) {
    id.remove_suffix(kSuffix.size());
  }
  bool ok = !id.empty() && id.size() <= 64 && id.front() != '-' && id.back() != '-';
  for (char c : id) ok = ok && ((c >= '0' && c <= '9') || c == '-');
  if (!ok) return core::Status::invalid_argument("invalid group jid: " + std::string(raw));
  return std::string(id) + std::string(kSuffix);
}

// The session's client and the route's group JID (`:jid`), or the response to send instead.
struct GroupTarget {
  SessionClient ctx;
  std::string jid;
};
GroupTarget group_target(MessagingDeps& deps, const http::Request& req) {
  GroupTarget t{session_client(deps, req), {}};
  if (!t.ctx.ok()) return t;
  auto jid = group_jid(req.param("jid"));
  if (!jid.ok()) {
    t.ctx.client = nullptr;
    t.ctx.status_response = Response::from_status(req, jid.status());
    return t;
  }
  t.jid = std::move(*jid);
  return t;
}

core::Result<std::vector<std::string>> participant_list(const nlohmann::json& body, size_t min) {
  auto it = body.find("participants");
  if (it == body.end() || !it->is_array()) {
    return core::Status::invalid_argument("participants must be an array of phone numbers");
  }
  if (it->size() < min || it->size() > kMaxParticipantsPerRequest) {
    return core::Status::invalid_argument("participants must have " + std::to_string(min) + "-" +
                                          std::to_string(kMaxParticipantsPerRequest) + " entries");
  }
  std::vector<std::string> out;
  for (const auto& p : *it) {
    if (!p.is_string()) return core::Status::invalid_argument("participants must be strings");
    CORE_ASSIGN_OR_RETURN(std::string jid, user_jid_of(p.get<std::string>()));
    if (std::find(out.begin(), out.end(), jid) == out.end()) out.push_back(std::move(jid));
  }
  return out;
}

nlohmann::json group_json(const wa::client::GroupInfo& g) {
  // PN JIDs where the server told us the number (LID-addressed groups list LIDs).
  auto shown = [](const wa::client::GroupParticipant& p) {
    return p.phone_number.empty() ? p.jid : p.phone_number;
  };
  std::string owner = g.owner;
  nlohmann::json participants = nlohmann::json::array();
  for (const auto& p : g.participants) {
    if (!owner.empty() && p.jid == owner) owner = shown(p);
    participants.push_back(
        {{"jid", shown(p)},
         {"admin", p.role.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.role)}});
  }
  return {{"jid", g.jid},
          {"subject", g.subject},
          {"owner", owner.empty() ? nlohmann::json(nullptr) : nlohmann::json(owner)},
          {"creation",
           g.creation > 0 ? nlohmann::json(auth::iso_time(g.creation * 1000)) : nlohmann::json()},
          {"participants", std::move(participants)}};
}

std::optional<wa::client::ParticipantAction> parse_action(std::string_view a) {
  using A = wa::client::ParticipantAction;
  if (a == "add") return A::kAdd;
  if (a == "remove") return A::kRemove;
  if (a == "promote") return A::kPromote;
  if (a == "demote") return A::kDemote;
  return std::nullopt;
}

}  // namespace

void install_groups_routes(http::Router& router, MessagingDeps& deps) {
  const auto opts = [] { return http::RouteOptions().auth_tag("session-access").seed(); };

  router.get(
      "/api/v1/groups",
      [&deps](const RequestPtr& req, Responder respond) {
        auto ctx = session_client(deps, *req);
        if (!ctx.ok()) return respond(ctx.status_response);
        auto shared = share(std::move(respond));
        ctx.client->query(
            wa::client::build_participating_groups_query(),
            [req, shared, client = ctx.client](core::Result<wa::binary::Node> r) {
              core::Result<std::vector<wa::client::GroupInfo>> groups =
                  r.ok() ? wa::client::parse_participating_groups(*r)
                         : core::Result<std::vector<wa::client::GroupInfo>>(r.status());
              if (!groups.ok()) return (*shared)(client_error(*req, groups.status(), "groups"));
              nlohmann::json list = nlohmann::json::array();
              for (const auto& g : *groups) list.push_back(group_json(g));
              (*shared)(Response::json(200, {{"status", "success"}, {"groups", std::move(list)}}));
            });
      },
      opts());

  router.post(
      "/api/v1/groups",
      [&deps](const RequestPtr& req, Responder respond) {
        auto ctx = session_client(deps, *req);
        if (!ctx.ok()) return respond(ctx.status_response);
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok() || !body.is_object()) {
          return respond(
              Response::error_for(*req, 400, "invalid_argument",
                                  st.ok() ? "body must be a JSON object" : st.message()));
        }
        auto subject_it = body.find("subject");
        if (subject_it == body.end() || !subject_it->is_string()) {
          return respond(Response::error_for(*req, 400, "invalid_argument", "subject is required"));
        }
        std::string subject = subject_it->get<std::string>();
        if (subject.find_first_not_of(" \t\r\n") == std::string::npos ||
            utf8_chars(subject) > kMaxSubjectChars) {
          return respond(Response::error_for(*req, 400, "invalid_argument",
                                             "subject must be 1-100 characters"));
        }
        auto participants = participant_list(body, 0);
        if (!participants.ok()) return respond(Response::from_status(*req, participants.status()));
        auto shared = share(std::move(respond));
        const size_t count = participants->size();
        ctx.client->create_group(
            subject, *participants,
            [req, shared, &deps, count, sid = ctx.session_id,
             client = ctx.client](core::Result<wa::client::GroupInfo> g) {
              if (!g.ok()) return (*shared)(client_error(*req, g.status(), "group"));
              deps.activity.record_request(*req, "create", "group", g->jid,
                                           {{"sessionId", sid}, {"participants", count}});
              (*shared)(Response::json(201, {{"status", "success"}, {"group", group_json(*g)}}));
            });
      },
      opts());

  router.get(
      "/api/v1/groups/:jid",
      [&deps](const RequestPtr& req, Responder respond) {
        auto target = group_target(deps, *req);
        auto& ctx = target.ctx;
        const std::string& jid = target.jid;
        if (!ctx.ok()) return respond(ctx.status_response);
        auto shared = share(std::move(respond));
        ctx.client->group_metadata(
            jid, true,
            [req, shared, jid, client = ctx.client](core::Result<wa::client::GroupInfo> g) {
              if (!g.ok()) return (*shared)(client_error(*req, g.status(), "Group " + jid));
              (*shared)(Response::json(200, {{"status", "success"}, {"group", group_json(*g)}}));
            });
      },
      opts());

  router.post(
      "/api/v1/groups/:jid/participants",
      [&deps](const RequestPtr& req, Responder respond) {
        auto target = group_target(deps, *req);
        auto& ctx = target.ctx;
        const std::string& jid = target.jid;
        if (!ctx.ok()) return respond(ctx.status_response);
        nlohmann::json body;
        if (auto st = req->parse_json(body); !st.ok() || !body.is_object()) {
          return respond(
              Response::error_for(*req, 400, "invalid_argument",
                                  st.ok() ? "body must be a JSON object" : st.message()));
        }
        auto action_it = body.find("action");
        std::optional<wa::client::ParticipantAction> action;
        if (action_it != body.end() && action_it->is_string()) {
          action = parse_action(action_it->get<std::string>());
        }
        if (!action) {
          return respond(Response::error_for(*req, 400, "invalid_argument",
                                             "action must be add, remove, promote or demote"));
        }
        auto participants = participant_list(body, 1);
        if (!participants.ok()) return respond(Response::from_status(*req, participants.status()));
        auto shared = share(std::move(respond));
        const std::string action_name = action_it->get<std::string>();
        const size_t count = participants->size();
        ctx.client->update_group_participants(
            jid, *action, *participants,
            [req, shared, &deps, jid, action_name, count, sid = ctx.session_id,
             client = ctx.client](core::Result<std::vector<std::pair<std::string, int>>> r) {
              if (!r.ok()) return (*shared)(client_error(*req, r.status(), "Group " + jid));
              nlohmann::json results = nlohmann::json::array();
              for (const auto& [who, code] : *r) {
                results.push_back({{"jid", who}, {"status", code == 0 ? 200 : code}});
              }
              deps.activity.record_request(
                  *req, "participants_" + action_name, "group", jid,
                  {{"sessionId", sid}, {"action", action_name}, {"participants", count}});
              (*shared)(
                  Response::json(200, {{"status", "success"}, {"results", std::move(results)}}));
            });
      },
      opts());

  router.post(
      "/api/v1/groups/:jid/leave",
      [&deps](const RequestPtr& req, Responder respond) {
        auto target = group_target(deps, *req);
        auto& ctx = target.ctx;
        const std::string& jid = target.jid;
        if (!ctx.ok()) return respond(ctx.status_response);
        auto shared = share(std::move(respond));
        ctx.client->leave_group(jid, [req, shared, &deps, jid, sid = ctx.session_id,
                                      client = ctx.client](core::Status st) {
          if (!st.ok()) return (*shared)(client_error(*req, st, "Group " + jid));
          deps.activity.record_request(*req, "leave", "group", jid, {{"sessionId", sid}});
          (*shared)(Response::json(200, {{"status", "success"}, {"message", "Left group " + jid}}));
        });
      },
      opts());
}

}  // namespace gw::api
