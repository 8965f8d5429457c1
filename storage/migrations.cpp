#include "storage/migrations.h"

#include <algorithm>

#include "storage/internal/sql_util.h"

namespace storage {
namespace {

constexpr long long kPgAdvisoryKey = 0x53554C4947485431;  // "SULIGHT1"
constexpr int kMysqlLockTimeoutSeconds = 120;

std::string snippet(const std::string& stmt) {
  std::string s;
  for (char c : stmt) {
    if (s.size() >= 60) {
      s += "…";
      break;
    }
    s += (c == '\n' || c == '\t') ? ' ' : c;
  }
  return s;
}

}  // namespace

std::vector<Migration> builtin_migrations(Dialect dialect) {
  std::vector<Migration> out;
  for (const auto& m : embedded_migrations(dialect)) {
    if (m.version == 0) continue;
    out.push_back({m.version, m.name, m.sql});
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

std::vector<std::string> split_sql_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      current += c;
      if (c == quote) {
        if (i + 1 < sql.size() && sql[i + 1] == quote) {  // doubled quote inside a literal
          current += sql[++i];
        } else {
          quote = 0;
        }
      }
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
      current += '\n';
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      current += c;
      continue;
    }
    if (c == ';') {
      out.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(current);
  std::vector<std::string> trimmed;
  for (auto& s : out) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) continue;
    size_t e = s.find_last_not_of(" \t\r\n");
    trimmed.push_back(s.substr(b, e - b + 1));
  }
  return trimmed;
}

Migrator::Migrator(Database& db, std::vector<Migration> migrations, const core::Clock& clock)
    : db_(db), migrations_(std::move(migrations)), clock_(clock) {
  std::sort(migrations_.begin(), migrations_.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
}

Migrator::Migrator(Database& db) : Migrator(db, builtin_migrations(db.dialect())) {}

core::Status Migrator::ensure_version_table(soci::session& sql) {
  switch (db_.dialect()) {
    case Dialect::kSqlite:
      sql << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
             "name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
      break;
    case Dialect::kMysql:
      sql << "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL PRIMARY KEY, "
             "name VARCHAR(191) NOT NULL, applied_at BIGINT NOT NULL) "
             "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
      break;
    case Dialect::kPostgres:
      sql << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
             "name VARCHAR(191) NOT NULL, applied_at BIGINT NOT NULL)";
      break;
  }
  return core::Status();
}

core::Result<int> Migrator::current_version(soci::session& sql) {
  int version = 0;
  soci::indicator ind = soci::i_null;
  sql << "SELECT MAX(version) FROM schema_version", soci::into(version, ind);
  return ind == soci::i_ok ? version : 0;
}

core::Result<MigrationStatus> Migrator::status() {
  // Listed first, on its own lease: a second lease inside the query below would deadlock a
  // pool of one connection.
  auto tables = list_tables(db_);
  if (!tables.ok()) return tables.status();
  return db_.query<MigrationStatus>(
      "reading schema_version", [&](soci::session& sql) -> core::Result<MigrationStatus> {
        MigrationStatus st;
        st.latest = latest();
        if (std::find(tables->begin(), tables->end(), "schema_version") != tables->end()) {
          soci::rowset<soci::row> rows =
              (sql.prepare
               << "SELECT version, name, applied_at FROM schema_version ORDER BY version");
          for (const auto& r : rows) {
            AppliedMigration a;
            a.version = static_cast<int>(internal::row_int(r, 0));
            a.name = internal::row_text(r, 1);
            a.applied_at_ms = internal::row_int(r, 2);
            st.applied.push_back(a);
            st.current = std::max(st.current, a.version);
          }
        }
        for (const auto& m : migrations_) {
          if (m.version > st.current) st.pending.push_back(m);
        }
        return st;
      });
}

core::Status Migrator::apply_one(soci::session& sql, const Migration& m, int* applied) {
  std::vector<std::string> statements = split_sql_statements(m.sql);
  const std::string label = "migration " + std::to_string(m.version) + "_" + m.name;
  long long now = clock_.unix_millis();
  const bool transactional = db_.dialect() != Dialect::kMysql;

  if (transactional) {
    if (db_.dialect() == Dialect::kSqlite) {
      sql << "BEGIN IMMEDIATE";
    } else {
      sql.begin();
    }
  }
  // Re-check inside the lock: another process may have applied it while we waited.
  auto current = current_version(sql);
  if (!current.ok() || *current >= m.version) {
    if (transactional) sql.rollback();
    return current.status();
  }
  for (size_t i = 0; i < statements.size(); ++i) {
    try {
      sql << statements[i];
    } catch (const std::exception& e) {
      if (transactional) {
        try {
          sql.rollback();
        } catch (const std::exception&) {
        }
      }
      std::string where = label + " failed at statement " + std::to_string(i + 1) + " of " +
                          std::to_string(statements.size()) + " (" + snippet(statements[i]) + ")";
      std::string after =
          transactional
              ? "; the schema was left unchanged"
              : (i == 0 ? "; nothing of it was applied"
                        : "; statements 1-" + std::to_string(i) +
                              " were applied (MariaDB commits DDL immediately) and are "
                              "re-runnable: fix the cause and run `superlight migrate` again");
      core::Status st = Database::from_exception(where, e);
      return core::Status(core::StatusCode::kFailedPrecondition, st.message() + after);
    }
  }
  std::string name = m.name;
  int version = m.version;
  sql << "INSERT INTO schema_version (version, name, applied_at) VALUES (:v, :n, :t)",
      soci::use(version), soci::use(name), soci::use(now);
  if (transactional) sql.commit();
  ++*applied;
  return core::Status();
}

core::Result<int> Migrator::migrate(int target) {
  if (target < 0) target = latest();
  if (target > latest()) {
    return core::Status::invalid_argument("no migration " + std::to_string(target) +
                                          " (latest is " + std::to_string(latest()) + ")");
  }
  int applied = 0;
  core::Status st = db_.run("migrating " + db_.url().redacted(), [&](soci::session& sql) {
    bool locked = false;
    if (db_.dialect() == Dialect::kPostgres) {
      long long key = kPgAdvisoryKey;
      sql << "SELECT pg_advisory_lock(:k)", soci::use(key);
      locked = true;
    } else if (db_.dialect() == Dialect::kMysql) {
      int got = 0;
      soci::indicator ind = soci::i_null;
      sql << "SELECT GET_LOCK('superlight_migrations', " +
                 std::to_string(kMysqlLockTimeoutSeconds) + ")",
          soci::into(got, ind);
      if (ind != soci::i_ok || got != 1) {
        return core::Status::deadline_exceeded(
            "another process holds the migration lock (GET_LOCK superlight_migrations)");
      }
      locked = true;
    }
    auto unlock = [&] {
      if (!locked) return;
      try {
        if (db_.dialect() == Dialect::kPostgres) {
          long long key = kPgAdvisoryKey;
          sql << "SELECT pg_advisory_unlock(:k)", soci::use(key);
        } else {
          sql << "SELECT RELEASE_LOCK('superlight_migrations')";
        }
      } catch (const std::exception&) {
      }
    };
    core::Status result;
    try {
      result = ensure_version_table(sql);
      if (result.ok()) {
        auto current = current_version(sql);
        if (!current.ok()) {
          result = current.status();
        } else if (*current > latest()) {
          result = core::Status::failed_precondition(
              "database schema version " + std::to_string(*current) +
              " is newer than this build knows (" + std::to_string(latest()) +
              "); run a newer superlight");
        } else if (target < *current) {
          result = core::Status::failed_precondition(
              "database is at schema version " + std::to_string(*current) + "; downgrading to " +
              std::to_string(target) + " is not supported");
        }
      }
      for (const auto& m : migrations_) {
        if (!result.ok() || m.version > target) break;
        result = apply_one(sql, m, &applied);
      }
    } catch (const std::exception& e) {
      result = Database::from_exception("migrating", e);
      if (db_.dialect() != Dialect::kMysql) {
        try {
          sql.rollback();
        } catch (const std::exception&) {
        }
      }
    }
    unlock();
    return result;
  });
  if (!st.ok()) return st;
  return applied;
}

core::Result<std::vector<std::string>> list_tables(Database& db) {
  return db.query<std::vector<std::string>>(
      "listing tables", [&](soci::session& sql) -> core::Result<std::vector<std::string>> {
        std::string q;
        switch (db.dialect()) {
          case Dialect::kSqlite:
            q = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name";
            break;
          case Dialect::kMysql:
            q = "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "DATABASE() ORDER BY table_name";
            break;
          case Dialect::kPostgres:
            q = "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() ORDER BY table_name";
            break;
        }
        std::vector<std::string> out;
        soci::rowset<std::string> rows = (sql.prepare << q);
        for (const auto& r : rows) out.push_back(r);
        return out;
      });
}

}  // namespace storage
