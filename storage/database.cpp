#include "storage/database.h"

#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <filesystem>
#include <system_error>

namespace storage {
namespace {

// The transaction this thread is inside, if any (see the header: the "ambient" session).
struct Ambient {
  const Database* db = nullptr;
  soci::session* sql = nullptr;
};
thread_local Ambient t_ambient;

// Error texts from libpq span several lines; a log line and a CLI error should be one line.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string join(std::initializer_list<std::string_view> parts, std::string_view prefix,
                 std::string_view sep = ", ") {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += sep;
    out += prefix;
    out += p;
  }
  return out;
}

// Leases a pooled connection, or borrows the ambient transaction's one.
class Lease {
 public:
  Lease(const Database& db, soci::connection_pool& pool) {
    if (t_ambient.db == &db) {
      sql_ = t_ambient.sql;
    } else {
      owned_.emplace(pool);
      sql_ = &*owned_;
    }
  }
  soci::session& operator*() { return *sql_; }
  bool owned() const { return owned_.has_value(); }

 private:
  std::optional<soci::session> owned_;
  soci::session* sql_ = nullptr;
};

}  // namespace

Database::Database(DatabaseUrl url, size_t pool_size)
    : url_(std::move(url)), pool_size_(pool_size) {}

Database::~Database() = default;

core::Status Database::from_exception(std::string_view what, const std::exception& e) {
  std::string msg = std::string(what) + ": " + one_line(e.what());
  if (auto* se = dynamic_cast<const soci::soci_error*>(&e)) {
    switch (se->get_error_category()) {
      case soci::soci_error::constraint_violation:
        return core::Status::already_exists(msg);
      case soci::soci_error::connection_error:
        return core::Status::unavailable(msg);
      default:
        break;
    }
    // The backends do not always classify; recognise the common texts.
    std::string text = e.what();
    if (text.find("UNIQUE constraint") != std::string::npos ||
        text.find("Duplicate entry") != std::string::npos ||
        text.find("duplicate key") != std::string::npos) {
      return core::Status::already_exists(msg);
    }
    if (text.find("server has gone away") != std::string::npos ||
        text.find("Lost connection") != std::string::npos ||
        text.find("server closed the connection") != std::string::npos) {
      return core::Status::unavailable(msg);
    }
  }
  return core::Status::internal(msg);
}

core::Result<std::unique_ptr<Database>> Database::open(const DatabaseOptions& options) {
  auto url = parse_database_url(options.url);
  if (!url.ok()) return url.status();
  if (options.pool_size == 0) return core::Status::invalid_argument("database pool size is 0");

  if (url->dialect == Dialect::kSqlite) {
    std::filesystem::path parent = std::filesystem::path(url->path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return core::Status::unavailable("cannot create directory " + parent.string() + " for " +
                                         url->redacted() + ": " + ec.message());
      }
    }
  }

  std::unique_ptr<Database> db(new Database(*url, options.pool_size));
  db->pool_ = std::make_unique<soci::connection_pool>(options.pool_size);
  std::string conn = url->connect_string(options.connect_timeout_seconds);
  for (size_t i = 0; i < options.pool_size; ++i) {
    soci::session& sql = db->pool_->at(i);
    try {
      switch (url->dialect) {
        case Dialect::kSqlite:
          sql.open(soci::sqlite3, conn);
          break;
        case Dialect::kMysql:
          sql.open(soci::mysql, conn);
          break;
        case Dialect::kPostgres:
          sql.open(soci::postgresql, conn);
          break;
      }
    } catch (const std::exception& e) {
      return core::Status::unavailable("cannot connect to " + url->redacted() + ": " +
                                       one_line(e.what()));
    }
    CORE_RETURN_IF_ERROR(db->configure_connection(sql, options));
  }
  return db;
}

core::Status Database::configure_connection(soci::session& sql, const DatabaseOptions& options) {
  try {
    switch (url_.dialect) {
      case Dialect::kSqlite: {
        // WAL lets readers run beside the one writer; synchronous=NORMAL in WAL mode is durable
        // across process crashes (a power loss can lose the last commits, never corrupt).
        sql << "PRAGMA busy_timeout = " + std::to_string(options.sqlite_busy_timeout_ms);
        std::string mode;
        sql << "PRAGMA journal_mode = WAL", soci::into(mode);
        sql << "PRAGMA synchronous = NORMAL";
        sql << "PRAGMA foreign_keys = ON";
        break;
      }
      case Dialect::kMysql:
        sql << "SET NAMES utf8mb4 COLLATE utf8mb4_bin";
        sql << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
        sql << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'";
        break;
      case Dialect::kPostgres:
        sql << "SET client_min_messages = warning";
        break;
    }
  } catch (const std::exception& e) {
    return from_exception("configuring connection to " + url_.redacted(), e);
  }
  return core::Status();
}

bool Database::in_transaction() const { return t_ambient.db == this; }

core::Status Database::run(std::string_view what, const Work& work) {
  try {
    Lease lease(*this, *pool_);
    try {
      return work(*lease);
    } catch (const std::exception& e) {
      core::Status st = from_exception(what, e);
      if (st.code() == core::StatusCode::kUnavailable && lease.owned()) {
        try {
          (*lease).reconnect();  // hand a live connection back to the pool
        } catch (const std::exception&) {
        }
      }
      return st;
    }
  } catch (const std::exception& e) {
    return from_exception(what, e);
  }
}

core::Status Database::transaction(std::string_view what, const Work& work) {
  if (in_transaction()) return run(what, work);  // join the outer transaction
  try {
    Lease lease(*this, *pool_);
    soci::session& sql = *lease;
    if (url_.dialect == Dialect::kSqlite) {
      sql << "BEGIN IMMEDIATE";
    } else {
      sql.begin();
    }
    t_ambient = {this, &sql};
    core::Status st;
    try {
      st = work(sql);
    } catch (const std::exception& e) {
      st = from_exception(what, e);
    }
    t_ambient = {};
    if (st.ok()) {
      try {
        sql.commit();
        return st;
      } catch (const std::exception& e) {
        st = from_exception(std::string(what) + " (commit)", e);
      }
    }
    try {
      sql.rollback();
    } catch (const std::exception&) {
      if (st.code() == core::StatusCode::kUnavailable) {
        try {
          sql.reconnect();
        } catch (const std::exception&) {
        }
      }
    }
    return st;
  } catch (const std::exception& e) {
    t_ambient = {};
    return from_exception(what, e);
  }
}

std::string Database::upsert_sql(std::string_view table,
                                 std::initializer_list<std::string_view> keys,
                                 std::initializer_list<std::string_view> values) const {
  std::string cols = join(keys, "");
  std::string params = join(keys, ":");
  if (values.size() > 0) {
    cols += ", " + join(values, "");
    params += ", " + join(values, ":");
  }
  std::string sql = "INSERT INTO " + std::string(table) + " (" + cols + ") VALUES (" + params + ")";
  if (url_.dialect == Dialect::kMysql) {
    sql += " ON DUPLICATE KEY UPDATE ";
    if (values.size() == 0) {
      sql += std::string(*keys.begin()) + " = " + std::string(*keys.begin());
    }
    bool first = true;
    for (auto v : values) {
      if (!first) sql += ", ";
      first = false;
      sql += std::string(v) + " = VALUES(" + std::string(v) + ")";
    }
  } else {
    sql += " ON CONFLICT (" + join(keys, "") + ") DO ";
    if (values.size() == 0) {
      sql += "NOTHING";
    } else {
      sql += "UPDATE SET ";
      bool first = true;
      for (auto v : values) {
        if (!first) sql += ", ";
        first = false;
        sql += std::string(v) + " = excluded." + std::string(v);
      }
    }
  }
  return sql;
}

std::string Database::insert_ignore_sql(std::string_view table,
                                        std::initializer_list<std::string_view> columns) const {
  std::string body =
      std::string(table) + " (" + join(columns, "") + ") VALUES (" + join(columns, ":") + ")";
  // MariaDB's INSERT IGNORE reports 0 affected rows for a duplicate key.
  if (url_.dialect == Dialect::kMysql) return "INSERT IGNORE INTO " + body;
  return "INSERT INTO " + body + " ON CONFLICT DO NOTHING";
}

long long Database::insert_returning_id(soci::session& sql, const std::string& insert_sql,
                                        std::string_view table,
                                        const std::function<void(soci::statement&)>& bind) const {
  long long id = 0;
  soci::statement st(sql);
  if (url_.dialect == Dialect::kPostgres) st.exchange(soci::into(id));
  bind(st);
  st.alloc();
  st.prepare(url_.dialect == Dialect::kPostgres ? insert_sql + " RETURNING id" : insert_sql);
  st.define_and_bind();
  st.execute(true);
  if (url_.dialect != Dialect::kPostgres) {
    if (!sql.get_last_insert_id(std::string(table), id)) {
      throw soci::soci_error("no last insert id for " + std::string(table));
    }
  }
  return id;
}

}  // namespace storage
