// SystemLog: the seed's "system log" — the last 1000 sent-message records ("messages-sent"
// events), kept in memory and mirrored to a JSON-lines file (data/system.log), served by
// GET /admin/test-logs and GET /api/v1/logs/export and pruned by POST /admin/update-logs.
//
// What changed from the seed (hole 17.1.10): entries carry their session's owner, so a user sees
// only their own entries; entries get server-assigned ids, and the only edit the API offers is
// deleting entries by id (admins only) — nothing can be added or rewritten through HTTP. Details
// are redacted (auth::redact_details), so message texts, tokens and bodies never land here;
// callers record recipients and counts, not contents.
//
// Ownership: owns its entries and file. Threading: internally locked; every method may block on
// file I/O, so call them from the blocking pool (Services::run_blocking).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "gateway/auth/principal.h"

namespace gw::live {

struct SystemLogEntry {
  std::string id;       // assigned by append()
  long long at_ms = 0;  // assigned by append() when 0
  std::string session_id;
  std::optional<std::string> owner_id;  // the session owner's users.id (visibility)
  std::string message;                  // e.g. "Messages sent" — never a message text
  nlohmann::json details = nlohmann::json::object();  // {"event":"messages-sent", …}
};

// {id, timestamp, sessionId, message, details}
nlohmann::json system_log_entry_json(const SystemLogEntry& e);

class SystemLog {
 public:
  static constexpr size_t kDefaultMaxEntries = 1000;
  static constexpr uintmax_t kRotateBytes = 5 * 1024 * 1024;

  // `file` empty = memory only.
  SystemLog(std::filesystem::path file, const core::Clock& clock, core::Random& random,
            size_t max_entries = kDefaultMaxEntries);

  // Reads the last max_entries valid lines of the file (a missing file is fine).
  core::Status load();
  // Records an entry (redacted) and appends it to the file; returns it with id/time set.
  core::Result<SystemLogEntry> append(SystemLogEntry entry);
  // Every entry, oldest first.
  std::vector<SystemLogEntry> entries() const;
  // The entries `p` may see: admins/master all, a user the entries of their own sessions.
  std::vector<SystemLogEntry> visible_to(const auth::Principal& p) const;
  // Deletes the entries with these ids (unknown ids are ignored); rewrites the file. Returns how
  // many were removed.
  core::Result<size_t> remove(const std::set<std::string>& ids);
  bool contains(const std::string& id) const;
  bool file_exists() const;
  size_t size() const;

 private:
  core::Status rewrite_locked();

  std::filesystem::path file_;
  const core::Clock& clock_;
  core::Random& random_;
  size_t max_entries_;
  mutable std::mutex mu_;
  std::deque<SystemLogEntry> entries_;
};

}  // namespace gw::live
