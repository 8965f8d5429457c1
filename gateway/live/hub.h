// LiveHub: the live feed behind /ws. Every connected dashboard client is a WsConnection plus the
// Principal its one-time ticket was issued to; the hub sends each client only what that
// principal may see:
//   session-update     {type, data:[{sessionId, status, detail, qr, owner}]}   admin/master: all
//                      sessions; user: own; session token: its session. NEVER tokens: SessionView
//                      has no token field at all.
//   log                {type, sessionId, message, details, timestamp}          admins/master only;
//                      details pass through auth::redact_details (no tokens, passwords, bodies,
//                      message texts). Callers must not put message texts in `message` either.
//   campaign-progress  {type, campaignId, processed, total, recipient:{number,name,status,error?}}
//   campaign-status    {type, campaignId, status, reason?}                     owner or admin.
//
// Back-pressure: each connection has a bounded write queue (WsConnection::send_text). The hub
// adds its own, smaller bound: a client whose queued bytes would exceed max_queued_bytes is
// closed (1008 "client too slow") and dropped, so one stuck browser never grows memory.
//
// Publishing API for other components (sessions manager, campaign engine, message sender):
// call publish_* on the network thread (from a pool thread: services.post first).
//
// Ownership: the hub holds shared_ptrs to open connections; a connection's on_close removes it.
// Threading: network thread only (like WsConnection). Not internally locked.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/auth/principal.h"
#include "gateway/http/websocket.h"

namespace gw::live {

struct SessionView {
  std::string session_id;
  std::string status;  // CREATING, GENERATING_QR, CONNECTING, CONNECTED, DISCONNECTED, LOGGED_OUT
  std::string detail;  // human-readable status detail
  std::string qr;      // the current QR string, "" when none
  std::optional<std::string> owner_id;  // users.id (filtering); nullopt = unowned/system
  std::string owner;                    // owner e-mail for display, "system" when unowned (seed)
};
// {sessionId, status, detail, qr (null when empty), owner}
nlohmann::json session_view_json(const SessionView& s);

struct LogEvent {
  std::string session_id;
  std::string message;
  nlohmann::json details = nlohmann::json::object();
  long long at_ms = 0;  // 0 = now
};

struct CampaignRecipientProgress {
  std::string number;
  std::string name;
  std::string status;  // "sent" | "failed"
  std::optional<std::string> error;
};

struct CampaignProgress {
  std::string campaign_id;
  std::optional<std::string> owner_id;  // creator users.id
  long long processed = 0;
  long long total = 0;
  CampaignRecipientProgress recipient;
};

struct CampaignStatus {
  std::string campaign_id;
  std::optional<std::string> owner_id;
  std::string status;  // paused | resumed | stopped | completed | failed
  std::optional<std::string> reason;
};

class LiveHub {
 public:
  struct Options {
    size_t max_queued_bytes = 1024 * 1024;  // per client, on top of the server's own bound
    size_t max_clients = 1000;
  };
  // Produces the current session list (for the snapshot a client gets on connect). It may
  // answer later, on the network thread.
  using SnapshotProvider =
      std::function<void(std::function<void(std::vector<SessionView>)> deliver)>;

  LiveHub();
  explicit LiveHub(Options options);

  void set_snapshot_provider(SnapshotProvider provider) { snapshot_ = std::move(provider); }

  // Adds a client authenticated as `principal` and sends it its session snapshot. Refuses (closes
  // 1013 "too many clients") when the hub is full or the principal is anonymous (1008).
  bool add(std::shared_ptr<http::WsConnection> conn, auth::Principal principal);
  void remove(uint64_t connection_id);
  // Closes every connection of a user (disabled, demoted, password changed, deleted).
  void disconnect_user(const std::string& user_id);
  size_t client_count() const { return clients_.size(); }

  // The complete current session list; each client receives the part it may see.
  void publish_session_update(const std::vector<SessionView>& sessions);
  // Fetches the list from the snapshot provider, then publishes it.
  void refresh_sessions();
  void publish_log(const LogEvent& event);
  void publish_campaign_progress(const CampaignProgress& progress);
  void publish_campaign_status(const CampaignStatus& status);

  // Visibility rules, exposed for tests and for REST handlers that mirror the feed.
  static bool may_see_session(const auth::Principal& p, const SessionView& s);
  static bool may_see_owned(const auth::Principal& p, const std::optional<std::string>& owner_id);

 private:
  struct Client {
    std::shared_ptr<http::WsConnection> conn;
    auth::Principal principal;
  };
  static std::string session_update_for(const auth::Principal& p,
                                        const std::vector<SessionView>& sessions);
  // Sends or drops a slow client; returns false when the client must be removed.
  bool deliver(Client& client, const std::string& text);
  template <typename Pred>
  void broadcast(const std::string& text, Pred may_see);

  Options options_;
  SnapshotProvider snapshot_;
  std::map<uint64_t, Client> clients_;
};

}  // namespace gw::live
