// LiveFeed: the /ws endpoint (also "/ws/" and "/", as the seed accepted, for proxies that rewrite
// the path). An upgrade is admitted only with a valid one-time ticket from GET /api/v1/ws-auth in
// ?token= — anything else gets 401 before the upgrade (seed hole 17.1.6: the seed accepted
// anonymous clients and streamed them every log line). The admitted connection joins the LiveHub
// with the Principal the ticket was bound to. Client→server messages are ignored.
//
// Until the sessions manager installs its own snapshot provider, the hub's snapshot comes from
// the wa_sessions table (status as stored, no QR).
//
// Ownership: borrows the AuthService (tickets), the LiveHub and Services; all outlive the server.
// Threading: admit/on_open run on the network thread; the DB snapshot runs on the pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "gateway/auth/auth.h"
#include "gateway/http/websocket.h"
#include "gateway/live/hub.h"

namespace gw {
class Services;
class ServeContext;
}  // namespace gw

namespace gw::live {

class LiveFeed {
 public:
  LiveFeed(auth::AuthService& auth, LiveHub& hub, const core::Clock& clock)
      : auth_(auth), hub_(hub), clock_(clock) {}

  // The endpoint to register with http::Server::add_websocket.
  http::WsEndpoint endpoint();

  // admit + on_open, exposed for tests (no sockets needed).
  std::optional<http::Response> admit(const http::Request& req);
  void open(const http::RequestPtr& req, std::shared_ptr<http::WsConnection> conn);

 private:
  auth::AuthService& auth_;
  LiveHub& hub_;
  const core::Clock& clock_;
  // Principals admitted but not yet opened, by request id (admit sees a const Request).
  struct Pending {
    auth::Principal principal;
    std::chrono::steady_clock::time_point at;
  };
  std::map<uint64_t, Pending> pending_;
};

// A snapshot provider reading wa_sessions (+ owners' e-mails) on the blocking pool.
LiveHub::SnapshotProvider database_snapshot_provider(Services& services);

}  // namespace gw::live
