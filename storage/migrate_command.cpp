#include "storage/migrate_command.h"

#include <ostream>

#include "storage/database.h"
#include "storage/migrations.h"

namespace storage {

int run_migrate_command(const MigrateOptions& options, std::ostream& out, std::ostream& err) {
  if (options.to && *options.to < 0) {
    err << "superlight migrate: --to must be >= 0\n";
    return 2;
  }
  DatabaseOptions dbo;
  if (!options.database_url.empty()) dbo.url = options.database_url;
  dbo.pool_size = 1;
  auto db = Database::open(dbo);
  if (!db.ok()) {
    err << "superlight migrate: " << db.status().message() << "\n";
    return db.status().code() == core::StatusCode::kInvalidArgument ? 2 : 1;
  }
  Migrator migrator(**db);
  if (options.status) {
    auto st = migrator.status();
    if (!st.ok()) {
      err << "superlight migrate: " << st.status().message() << "\n";
      return 1;
    }
    out << (*db)->url().redacted() << ": schema version " << st->current << " of " << st->latest
        << "\n";
    for (const auto& a : st->applied) {
      out << "  applied  " << a.version << "_" << a.name << "  (at " << a.applied_at_ms << " ms)\n";
    }
    for (const auto& p : st->pending) out << "  pending  " << p.version << "_" << p.name << "\n";
    return 0;
  }
  auto applied = migrator.migrate(options.to.value_or(-1));
  if (!applied.ok()) {
    err << "superlight migrate: " << applied.status().message() << "\n";
    return applied.status().code() == core::StatusCode::kInvalidArgument ? 2 : 1;
  }
  auto st = migrator.status();
  out << "applied " << *applied << " migration(s); " << (*db)->url().redacted()
      << " is at schema version " << (st.ok() ? st->current : -1) << "\n";
  return 0;
}

}  // namespace storage
