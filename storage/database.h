// Database: one bounded SOCI connection pool for the configured DATABASE_URL (SQLite,
// MariaDB/MySQL or PostgreSQL), plus the few dialect helpers the repositories need so they keep
// one code path (upsert syntax, insert-and-return-id, insert-if-absent).
//
// Every call leases a pooled connection for the duration of the work function, or — when the
// calling thread is already inside `transaction()` on this Database — reuses that transaction's
// connection ("ambient" session). That is how a wa/store commit hook can call an ordinary
// repository method and still land its rows in the Signal commit's DB transaction.
//
// Errors: SOCI exceptions never escape; they become Status (constraint violation →
// AlreadyExists, lost connection → Unavailable, anything else → Internal), prefixed with what
// the caller was doing.
//
// Ownership: the Database owns the pool; repositories hold a reference and must not outlive it.
// Threading: thread-safe; leases block when all connections are busy, so call it from the
// blocking executor (executor.h), never from a network thread. SQLite write transactions start
// with BEGIN IMMEDIATE so concurrent writers queue on the busy timeout instead of deadlocking.
#pragma once

#include <soci/soci.h>

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/database_url.h"

namespace storage {

struct DatabaseOptions {
  std::string url = std::string(kDefaultDatabaseUrl);
  size_t pool_size = 4;
  int connect_timeout_seconds = 5;
  int sqlite_busy_timeout_ms = 15000;
};

class Database {
 public:
  using Work = std::function<core::Status(soci::session&)>;

  // Parses the URL, creates the SQLite parent directory, opens every pooled connection (so an
  // unreachable server fails here, within the connect timeout) and sets per-connection options
  // (WAL, busy timeout, foreign keys; utf8mb4 and READ COMMITTED on MariaDB; quiet notices on
  // PostgreSQL). Does not migrate: see migrations.h / storage.h.
  static core::Result<std::unique_ptr<Database>> open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Dialect dialect() const { return url_.dialect; }
  const DatabaseUrl& url() const { return url_; }
  size_t pool_size() const { return pool_size_; }

  // Runs `work` on a connection (ambient or leased) without opening a transaction.
  core::Status run(std::string_view what, const Work& work);
  // Runs `work` in one DB transaction: committed when it returns OK, rolled back otherwise (or
  // on exception). Nested calls on the same thread join the outer transaction.
  core::Status transaction(std::string_view what, const Work& work);
  // run() for work that produces a value.
  template <typename T>
  core::Result<T> query(std::string_view what,
                        const std::function<core::Result<T>(soci::session&)>& work) {
    std::optional<T> out;
    core::Status st = run(what, [&](soci::session& sql) -> core::Status {
      core::Result<T> r = work(sql);
      if (!r.ok()) return r.status();
      out.emplace(std::move(r).value());
      return core::Status();
    });
    if (!st.ok()) return st;
    return std::move(*out);
  }

  // True when this thread is inside transaction() on this Database.
  bool in_transaction() const;

  // "INSERT INTO t (k…, v…) VALUES (:k…, :v…) <upsert clause>" updating the value columns on a
  // key conflict. Bind keys then values, in order.
  std::string upsert_sql(std::string_view table, std::initializer_list<std::string_view> keys,
                         std::initializer_list<std::string_view> values) const;
  // "INSERT … VALUES (…)" that silently does nothing on a unique-key conflict; check
  // statement::get_affected_rows() to learn whether a row was inserted.
  std::string insert_ignore_sql(std::string_view table,
                                std::initializer_list<std::string_view> columns) const;

  // Executes an INSERT into a table with a BIGINT auto-increment `id` and returns that id.
  // `bind` adds the use() elements: [&](soci::statement& st) { st.exchange(soci::use(x)); }.
  long long insert_returning_id(soci::session& sql, const std::string& insert_sql,
                                std::string_view table,
                                const std::function<void(soci::statement&)>& bind) const;

  // Turns an exception from SOCI into a Status (used by run/transaction; public for tests and
  // for code that drives soci::session directly).
  static core::Status from_exception(std::string_view what, const std::exception& e);

 private:
  Database(DatabaseUrl url, size_t pool_size);
  core::Status configure_connection(soci::session& sql, const DatabaseOptions& options);

  DatabaseUrl url_;
  size_t pool_size_;
  std::unique_ptr<soci::connection_pool> pool_;
};

}  // namespace storage
