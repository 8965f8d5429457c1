// The simulator's control API as a pure request → response function: JSON over HTTP for tests
// and the gateway's sandbox mode (create accounts, scan a QR, enter a pair code, unlink devices,
// inject messages, faults, stats). It never touches sockets: sim_server.cpp parses HTTP with
// Beast, builds an HttpRequest and writes the HttpResponse it gets back, so the routing and the
// status mapping are unit-tested without a network.
//
//   GET    /control/info                           → {ws_url, media_url, control_url, root_key,
//                                                     media_ca_pem}
//   POST   /control/accounts {phone,name?,virtual?} → 201 {phone, lid, name, virtual}
//   GET    /control/accounts                       → {accounts: [{…, devices: [{id, jid,
//   online}]}]} POST   /control/accounts/{phone}/scan {qr}      → 200 {device_jid} once the device
//   linked POST   /control/accounts/{phone}/pair-code {code} → 200 {device_jid} DELETE
//   /control/accounts/{phone}/devices/{id}  → 200 {removed: true} POST
//   /control/accounts/{phone}/send {to,text} → 200 {sent: true} POST   /control/faults
//   {phone?,kind,code?,ms?,count?} → 200 {added: true} GET    /control/stats → counters
// Errors: {"error": {"code": "not_found", "message": "…"}} with the mapped HTTP status.
//
// Ownership: ControlApi borrows the Simulator, which must outlive it.
// Threading: the simulator's io_context thread only (like the Simulator). `respond` may be
// called later (scan and pair-code complete when the device finished linking) — on that thread.
#pragma once

#include <functional>
#include <string>

#include "core/status.h"
#include "simulator/simulator.h"

namespace sim {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path with optional "?query"
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using Responder = std::function<void(HttpResponse)>;

// What GET /control/info reports; filled in once the listeners are bound.
struct ServerInfo {
  std::string ws_url;
  std::string media_url;
  std::string control_url;
  std::string root_key_hex;
  std::string media_ca_pem;
};

// Maps a core status to its HTTP status (InvalidArgument → 400, NotFound → 404,
// AlreadyExists → 409, FailedPrecondition "expired…" → 410, …).
int http_status_for(const core::Status& status);
// A JSON error response for `status` ({"error": {"code", "message"}}).
HttpResponse error_response(const core::Status& status);
HttpResponse json_error(int http_status, const std::string& code, const std::string& message);

class ControlApi {
 public:
  ControlApi(Simulator& simulator, ServerInfo info) : sim_(simulator), info_(std::move(info)) {}

  // Handles one request. `respond` is called exactly once: immediately for most routes, when
  // the core's callback fires for scan and pair-code. The HTTP layer applies its own timeout.
  void handle(const HttpRequest& request, Responder respond);

  const ServerInfo& info() const { return info_; }

 private:
  Simulator& sim_;
  ServerInfo info_;
};

}  // namespace sim
