#include "gateway/live/live_feed.h"

#include <map>

#include "gateway/services.h"

namespace gw::live {

http::WsEndpoint LiveFeed::endpoint() {
  http::WsEndpoint ep;
  ep.paths = {"/ws", "/ws/", "/"};
  ep.admit = [this](const http::Request& req) { return admit(req); };
  ep.on_open = [this](const http::RequestPtr& req, std::shared_ptr<http::WsConnection> conn) {
    open(req, std::move(conn));
  };
  return ep;
}

std::optional<http::Response> LiveFeed::admit(const http::Request& req) {
  auto now = clock_.steady_now();
  // Forget admissions whose upgrade never completed.
  std::erase_if(pending_,
                [&](const auto& kv) { return now - kv.second.at > std::chrono::minutes(1); });
  auto ticket = req.query_param("token");
  std::optional<auth::Principal> p;
  if (ticket) p = auth_.tickets().redeem(*ticket);
  if (!p || !p->authenticated()) {
    return http::Response::error(401, "unauthenticated",
                                 "A valid one-time ticket from GET /api/v1/ws-auth is required "
                                 "(?token=)");
  }
  pending_[req.id] = Pending{std::move(*p), now};
  return std::nullopt;
}

void LiveFeed::open(const http::RequestPtr& req, std::shared_ptr<http::WsConnection> conn) {
  auto it = pending_.find(req->id);
  if (it == pending_.end()) {
    conn->close(1008, "ticket required");
    return;
  }
  auth::Principal p = std::move(it->second.principal);
  pending_.erase(it);
  uint64_t id = conn->id();
  conn->on_message([](std::string, bool) {});  // the feed is one-way
  conn->on_close([this, id] { hub_.remove(id); });
  hub_.add(std::move(conn), std::move(p));
}

LiveHub::SnapshotProvider database_snapshot_provider(Services& services) {
  return [&services](std::function<void(std::vector<SessionView>)> deliver) {
    services.run_blocking(
        [&services]() -> std::vector<SessionView> {
          std::vector<SessionView> out;
          auto sessions = services.storage().wa_sessions().list();
          if (!sessions.ok()) return out;
          std::map<std::string, std::string> emails;
          if (auto users = services.storage().users().list(); users.ok()) {
            for (const auto& u : *users) emails[u.id] = u.email;
          }
          for (const auto& s : *sessions) {
            SessionView v;
            v.session_id = s.id;
            v.status = s.status;
            v.detail = s.detail.value_or("");
            v.owner_id = s.owner_id;
            v.owner = s.owner_id && emails.count(*s.owner_id) ? emails[*s.owner_id] : "system";
            out.push_back(std::move(v));
          }
          return out;
        },
        std::move(deliver));
  };
}

}  // namespace gw::live
