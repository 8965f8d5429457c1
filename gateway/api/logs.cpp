// The system log routes (seed hole 17.1.10: the seed let any logged-in user read everyone's
// sent-message log and overwrite system.log with arbitrary content). Decision:
//   GET  /admin/test-logs      login: admins see every entry, users the entries of their own
//                              sessions. {logFileExists, logCount, logs:[…]}
//   GET  /api/v1/logs/export   login: the same visible entries as a system-log.json download.
//   POST /admin/update-logs    admin only, and delete-only. Body {"logs":[…]} (the seed's
//                              "post back what remains": every item must be an existing entry,
//                              identified by its "id"; entries not posted are deleted; an
//                              unknown/missing id is refused with 400 — nothing can be added
//                              or rewritten) or {"deleteIds":["…"]}.
#include <nlohmann/json.hpp>

#include <set>

#include "gateway/api/account_routes.h"
#include "gateway/services.h"

namespace gw::api {

void install_logs_routes(http::Router& router, AccountDeps& deps) {
  Services& services = deps.services;
  live::SystemLog& log = deps.system_log;
  auth::ActivityLog& activity = deps.activity;

  router.get(
      "/admin/test-logs",
      [&services, &log](const http::RequestPtr& req, http::Responder respond) {
        auth::Principal p = auth::principal_of(*req);
        services.run_blocking(
            [&log, p]() {
              nlohmann::json logs = nlohmann::json::array();
              for (const auto& e : log.visible_to(p))
                logs.push_back(live::system_log_entry_json(e));
              return nlohmann::json{{"logFileExists", log.file_exists()},
                                    {"logCount", logs.size()},
                                    {"logs", std::move(logs)}};
            },
            [respond = std::move(respond)](nlohmann::json body) mutable {
              respond(http::Response::json(200, body));
            });
      },
      http::RouteOptions().auth_tag("login").seed());

  router.get(
      "/api/v1/logs/export",
      [&services, &log](const http::RequestPtr& req, http::Responder respond) {
        auth::Principal p = auth::principal_of(*req);
        services.run_blocking(
            [&log, p]() {
              nlohmann::json logs = nlohmann::json::array();
              for (const auto& e : log.visible_to(p))
                logs.push_back(live::system_log_entry_json(e));
              return logs;
            },
            [respond = std::move(respond)](nlohmann::json logs) mutable {
              http::Response r = http::Response::text(
                  200, logs.dump(2, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json; charset=utf-8");
              r.header("Content-Disposition", "attachment; filename=\"system-log.json\"");
              r.header("Cache-Control", "no-store");
              respond(std::move(r));
            });
      },
      http::RouteOptions().auth_tag("login").seed());

  router.post(
      "/admin/update-logs",
      [&services, &log, &activity](const http::RequestPtr& req, http::Responder respond) {
        nlohmann::json body;
        auto invalid = [&](std::string m) {
          respond(http::Response::error_for(*req, 400, "invalid_argument", m));
        };
        if (!req->parse_json(body).ok() || !body.is_object()) return invalid("Invalid logs data");
        std::set<std::string> posted;
        bool retain_mode = false;
        if (body.contains("logs")) {
          if (!body["logs"].is_array()) return invalid("Invalid logs data");
          retain_mode = true;
          for (const auto& item : body["logs"]) {
            if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) {
              return invalid(
                  "Invalid logs data: entries can only be removed, not added or changed (each "
                  "entry needs its id)");
            }
            posted.insert(item["id"].get<std::string>());
          }
        } else if (body.contains("deleteIds")) {
          if (!body["deleteIds"].is_array()) return invalid("Invalid logs data");
          for (const auto& id : body["deleteIds"]) {
            if (!id.is_string()) return invalid("Invalid logs data");
            posted.insert(id.get<std::string>());
          }
        } else {
          return invalid("Invalid logs data");
        }
        services.run_blocking(
            [&log, posted, retain_mode]() -> core::Result<std::pair<size_t, size_t>> {
              std::set<std::string> to_delete;
              if (retain_mode) {
                for (const auto& id : posted) {
                  if (!log.contains(id)) {
                    return core::Status::invalid_argument(
                        "Invalid logs data: unknown entry " + id +
                        " (entries can only be removed, not added)");
                  }
                }
                for (const auto& e : log.entries()) {
                  if (!posted.count(e.id)) to_delete.insert(e.id);
                }
              } else {
                to_delete = posted;
              }
              CORE_ASSIGN_OR_RETURN(size_t removed, log.remove(to_delete));
              return std::make_pair(removed, log.size());
            },
            [req, &activity,
             respond = std::move(respond)](core::Result<std::pair<size_t, size_t>> r) mutable {
              if (!r.ok()) {
                respond(http::Response::from_status(*req, r.status()));
                return;
              }
              activity.record_request(*req, "delete_logs", "system_log", std::nullopt,
                                      {{"removed", r->first}});
              respond(http::Response::json(
                  200, {{"success", true}, {"removed", r->first}, {"logCount", r->second}}));
            });
      },
      http::RouteOptions().auth_tag("admin").seed());
}

}  // namespace gw::api
