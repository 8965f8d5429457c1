// ActivityLog: how gateway components write the audit log (activity_log table, seed §12).
// Values are stored as data, never as markup: whatever a client typed (a login e-mail full of
// <script>) is kept verbatim up to the column size and only ever returned JSON-escaped with
// Content-Type: application/json; the dashboard renders it with textContent.
//
// Secrets never reach a row: details pass through redact_details(), which drops every key that
// names a secret or a message body (password, token, secret, authorization, body, text, caption,
// content …) at any depth. Callers still pass only what the row is for (e.g. update_user records
// {"changes": {"passwordChanged": true, "role": …}} — never the password).
//
// Ownership: borrows Services. Threading: record() may be called from the network thread; the
// insert runs on the blocking pool and a failure is logged, never surfaced to the request.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "gateway/auth/principal.h"
#include "storage/admin_repositories.h"

namespace gw {
class Services;
namespace http {
class Request;
}
}  // namespace gw

namespace gw::auth {

struct ActivityRecord {
  std::optional<std::string> user_id;
  std::string user_email;  // as typed for logins ("unknown" when absent)
  std::string action;      // "login", "create_user", …
  std::optional<std::string> resource;
  std::optional<std::string> resource_id;
  nlohmann::json details = nlohmann::json::object();
  std::optional<std::string> ip;
  std::optional<std::string> user_agent;
  bool success = true;
};

// Removes secret-bearing keys (recursively). Exposed for the live feed's `log` events too.
nlohmann::json redact_details(const nlohmann::json& details);
// True when a JSON key names a secret or a message body.
bool is_sensitive_key(std::string_view key);

// Builds the storage row: redacts details and truncates text to the column sizes (UTF-8 safe).
storage::ActivityEntry to_entry(const ActivityRecord& record);

// The API shape of one row: {id, timestamp(ISO), userEmail, action, resource, resourceId,
// details, ip, userAgent, success}.
nlohmann::json activity_json(const storage::ActivityEntry& entry);

// ISO-8601 UTC with milliseconds ("2025-12-02T10:00:00.000Z") for Unix milliseconds.
std::string iso_time(long long unix_millis);
// Parses ISO-8601 dates ("2025-12-02", "2025-12-02T10:00:00Z", with optional .mmm) or Unix
// milliseconds; nullopt when neither.
std::optional<long long> parse_time(std::string_view text);

// Truncates to at most `max` bytes without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string_view s, size_t max);

class ActivityLog {
 public:
  explicit ActivityLog(Services& services) : services_(services) {}

  // Fire and forget; `done` (optional, network thread) sees the insert's status (tests).
  void record(ActivityRecord record, std::function<void(core::Status)> done = {});
  // Fills user, IP and user agent from the request and its principal.
  void record_request(const http::Request& req, std::string action,
                      std::optional<std::string> resource, std::optional<std::string> resource_id,
                      nlohmann::json details, bool success = true,
                      std::function<void(core::Status)> done = {});

 private:
  Services& services_;
};

}  // namespace gw::auth
