// `superlight migrate`: applies the embedded schema migrations to DATABASE_URL, shows their
// state (--status) or stops at a version (--to N). The CLI parses the flags and calls this.
//
// Threading: blocking; called from main().
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace storage {

struct MigrateOptions {
  std::string database_url;  // empty: DATABASE_URL's default (sqlite://./data/superlight.db)
  bool status = false;       // print applied/pending migrations and exit
  std::optional<int> to;     // apply up to this version (no downgrades)
};

// Exit codes: 0 success, 1 failure (one line on err), 2 bad arguments.
int run_migrate_command(const MigrateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace storage
