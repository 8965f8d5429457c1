#include "gateway/live/hub.h"

#include "core/clock.h"
#include "gateway/auth/activity.h"

namespace gw::live {

nlohmann::json session_view_json(const SessionView& s) {
  return {{"sessionId", s.session_id},
          {"status", s.status},
          {"detail", s.detail},
          {"qr", s.qr.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.qr)},
          {"owner", s.owner.empty() ? std::string("system") : s.owner}};
}

LiveHub::LiveHub() : LiveHub(Options{}) {}
LiveHub::LiveHub(Options options) : options_(options) {}

bool LiveHub::may_see_session(const auth::Principal& p, const SessionView& s) {
  return auth::can_access_session(p, s.session_id, s.owner_id);
}

bool LiveHub::may_see_owned(const auth::Principal& p, const std::optional<std::string>& owner_id) {
  return auth::can_access_owned(p, owner_id);
}

std::string LiveHub::session_update_for(const auth::Principal& p,
                                        const std::vector<SessionView>& sessions) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& s : sessions) {
    if (may_see_session(p, s)) data.push_back(session_view_json(s));
  }
  return nlohmann::json{{"type", "session-update"}, {"data", std::move(data)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool LiveHub::add(std::shared_ptr<http::WsConnection> conn, auth::Principal principal) {
  if (!conn) return false;
  if (!principal.authenticated()) {
    conn->close(1008, "ticket required");
    return false;
  }
  if (clients_.size() >= options_.max_clients) {
    conn->close(1013, "too many clients");
    return false;
  }
  uint64_t id = conn->id();
  clients_[id] = Client{conn, std::move(principal)};
  if (snapshot_) {
    std::weak_ptr<http::WsConnection> weak = conn;
    snapshot_([this, id, weak](std::vector<SessionView> sessions) {
      auto c = weak.lock();
      auto it = clients_.find(id);
      if (!c || it == clients_.end() || it->second.conn != c) return;
      Client client = it->second;
      if (!deliver(client, session_update_for(client.principal, sessions))) remove(id);
    });
  }
  return true;
}

void LiveHub::remove(uint64_t connection_id) { clients_.erase(connection_id); }

void LiveHub::disconnect_user(const std::string& user_id) {
  std::vector<std::shared_ptr<http::WsConnection>> closing;
  for (auto it = clients_.begin(); it != clients_.end();) {
    const auth::Principal& p = it->second.principal;
    if (p.kind == auth::Principal::Kind::kUser && p.user_id == user_id) {
      closing.push_back(it->second.conn);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  // Closed after the map is settled: a connection's on_close may call remove() re-entrantly.
  for (auto& c : closing) c->close(1008, "login ended");
}

bool LiveHub::deliver(Client& client, const std::string& text) {
  auto conn = client.conn;
  if (!conn->is_open()) return false;
  if (conn->queued_bytes() + text.size() > options_.max_queued_bytes) {
    conn->close(1008, "client too slow");
    return false;
  }
  return conn->send_text(text);
}

template <typename Pred>
void LiveHub::broadcast(const std::string& text, Pred may_see) {
  // Iterate over ids, not map iterators: closing a slow client may re-enter remove().
  std::vector<uint64_t> ids;
  ids.reserve(clients_.size());
  for (const auto& [id, client] : clients_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = clients_.find(id);
    if (it == clients_.end() || !may_see(it->second.principal)) continue;
    Client client = it->second;
    if (!deliver(client, text)) clients_.erase(id);
  }
}

void LiveHub::publish_session_update(const std::vector<SessionView>& sessions) {
  // One rendering shared by every admin; users get their own.
  std::optional<std::string> admin_text;
  std::vector<uint64_t> ids;
  ids.reserve(clients_.size());
  for (const auto& [id, client] : clients_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = clients_.find(id);
    if (it == clients_.end()) continue;
    Client client = it->second;
    std::string text;
    if (client.principal.is_admin()) {
      if (!admin_text) admin_text = session_update_for(client.principal, sessions);
      text = *admin_text;
    } else {
      text = session_update_for(client.principal, sessions);
    }
    if (!deliver(client, text)) clients_.erase(id);
  }
}

void LiveHub::refresh_sessions() {
  if (!snapshot_) return;
  snapshot_([this](std::vector<SessionView> sessions) { publish_session_update(sessions); });
}

void LiveHub::publish_log(const LogEvent& event) {
  long long at = event.at_ms ? event.at_ms : core::SystemClock::instance().unix_millis();
  nlohmann::json msg = {{"type", "log"},
                        {"sessionId", event.session_id},
                        {"message", event.message},
                        {"details", auth::redact_details(event.details)},
                        {"timestamp", auth::iso_time(at)}};
  broadcast(msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            [](const auth::Principal& p) { return p.is_admin(); });
}

void LiveHub::publish_campaign_progress(const CampaignProgress& c) {
  nlohmann::json recipient = {
      {"number", c.recipient.number}, {"name", c.recipient.name}, {"status", c.recipient.status}};
  if (c.recipient.error) recipient["error"] = *c.recipient.error;
  nlohmann::json msg = {{"type", "campaign-progress"},
                        {"campaignId", c.campaign_id},
                        {"processed", c.processed},
                        {"total", c.total},
                        {"recipient", std::move(recipient)}};
  broadcast(msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            [&](const auth::Principal& p) { return may_see_owned(p, c.owner_id); });
}

void LiveHub::publish_campaign_status(const CampaignStatus& c) {
  nlohmann::json msg = {
      {"type", "campaign-status"}, {"campaignId", c.campaign_id}, {"status", c.status}};
  if (c.reason) msg["reason"] = *c.reason;
  broadcast(msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
            [&](const auth::Principal& p) { return may_see_owned(p, c.owner_id); });
}

}  // namespace gw::live
