// Repositories for administration: the activity (audit) log, indexed by time, user and action,
// with retention; and the settings key/value table (also home of the secret key-check value).
//
// Ownership: repositories hold references to Database and Clock; they must outlive it.
// Threading: thread-safe; calls block — run them on the BlockingExecutor.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"

namespace storage {

struct ActivityEntry {
  long long id = 0;
  std::optional<std::string> legacy_id{};  // id from an imported activity file
  long long at = 0;                        // 0 = now
  std::optional<std::string> user_id{};
  std::optional<std::string> user_email{};
  std::string action{};
  std::optional<std::string> resource_type{};
  std::optional<std::string> resource_id{};
  std::optional<std::string> details_json{};
  std::optional<std::string> ip{};
  std::optional<std::string> user_agent{};
  bool success = true;
};

struct ActivityQuery {
  std::optional<std::string> user_id{};
  std::optional<std::string> user_email{};
  std::optional<std::string> action{};
  std::optional<long long> since{};      // inclusive
  std::optional<long long> until{};      // exclusive
  std::optional<long long> before_id{};  // keyset pagination: entries with id < before_id
  int limit = 100;
};

class ActivityRepository {
 public:
  ActivityRepository(Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  core::Result<long long> append(ActivityEntry entry);
  // Idempotent by legacy_id (required): false when that entry was imported before.
  core::Result<bool> import(ActivityEntry entry);
  // Newest first.
  core::Result<std::vector<ActivityEntry>> query(const ActivityQuery& q);
  core::Result<long long> purge_before(long long ts);

 private:
  Database& db_;
  const core::Clock& clock_;
};

class SettingsRepository {
 public:
  SettingsRepository(Database& db, const core::Clock& clock) : db_(db), clock_(clock) {}

  core::Result<std::optional<std::string>> get(const std::string& name);
  core::Status set(const std::string& name, const std::string& value);
  core::Status remove(const std::string& name);
  core::Result<std::map<std::string, std::string>> all();

 private:
  Database& db_;
  const core::Clock& clock_;
};

}  // namespace storage
