// DATABASE_URL parsing: turns `sqlite:///abs/file.db`, `sqlite://./rel/file.db`,
// `mysql://user:pass@host:port/db` (also `mariadb://`) and `postgres://` / `postgresql://` URLs
// into a typed description plus the SOCI connect string for the chosen backend. User name and
// password are percent-decoded. A bad URL is InvalidArgument with one line naming the problem;
// the password never appears in messages (`redacted()`).
//
// Threading: pure functions and plain values.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace storage {

enum class Dialect { kSqlite, kMysql, kPostgres };

// "sqlite", "mysql", "postgresql" (also the migrations folder names).
std::string_view dialect_name(Dialect dialect);

inline constexpr std::string_view kDefaultDatabaseUrl = "sqlite://./data/superlight.db";

struct DatabaseUrl {
  Dialect dialect = Dialect::kSqlite;
  std::string path;  // SQLite file path (absolute, or relative to the working directory)
  std::string host;
  int port = 0;
  std::string user;
  std::string password;
  std::string database;
  // Extra query parameters that passed the per-dialect allow-list (PostgreSQL `sslmode`,
  // MariaDB `socket`, …).
  std::map<std::string, std::string> params;

  // The URL with the password replaced by "***", safe for logs and error messages.
  std::string redacted() const;
  // The SOCI connect string: key='value' pairs for MariaDB and SQLite, a percent-encoded libpq
  // URI for PostgreSQL.
  std::string connect_string(int connect_timeout_seconds) const;
};

core::Result<DatabaseUrl> parse_database_url(std::string_view url);

// Percent-decoding as used in URL user info; malformed escapes are InvalidArgument.
core::Result<std::string> percent_decode(std::string_view text);

}  // namespace storage
