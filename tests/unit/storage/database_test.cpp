#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>

#include "storage/database.h"
#include "storage/database_url.h"
#include "storage/executor.h"
#include "tests/unit/storage/test_db.h"

namespace storage {
namespace {

TEST(DatabaseUrl, SqliteAbsoluteAndRelative) {
  auto a = parse_database_url("sqlite:///var/lib/sl/x.db");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->dialect, Dialect::kSqlite);
  EXPECT_EQ(a->path, "/var/lib/sl/x.db");
  auto r = parse_database_url(kDefaultDatabaseUrl);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "./data/superlight.db");
  EXPECT_EQ(r->connect_string(5), "db=./data/superlight.db");
}

TEST(DatabaseUrl, ServersWithPercentDecoding) {
  auto m = parse_database_url("mysql://us%40er:p%3Aa%2Fss%25@db.example:3307/app");
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->dialect, Dialect::kMysql);
  EXPECT_EQ(m->user, "us@er");
  EXPECT_EQ(m->password, "p:a/ss%");
  EXPECT_EQ(m->host, "db.example");
  EXPECT_EQ(m->port, 3307);
  EXPECT_EQ(m->database, "app");
  EXPECT_EQ(m->redacted(), "mysql://us@er:***@db.example:3307/app");
  EXPECT_NE(m->connect_string(3).find("charset=utf8mb4"), std::string::npos);
  EXPECT_NE(m->connect_string(3).find("password='p:a/ss%'"), std::string::npos);

  auto md = parse_database_url("mariadb://u@h/d");
  ASSERT_TRUE(md.ok());
  EXPECT_EQ(md->port, 3306);

  auto p = parse_database_url("postgresql://u:it's@[::1]:6543/d?sslmode=require");
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p->dialect, Dialect::kPostgres);
  EXPECT_EQ(p->host, "::1");
  EXPECT_EQ(p->port, 6543);
  EXPECT_EQ(p->params.at("sslmode"), "require");
  EXPECT_EQ(p->connect_string(3),
            "postgresql://u:it%27s@[::1]:6543/d?connect_timeout=3&sslmode=require");
  EXPECT_EQ(parse_database_url("postgres://h/d")->port, 5432);
}

TEST(DatabaseUrl, BadUrlsAreOneClearLine) {
  for (const char* bad :
       {"", "superlight.db", "oracle://u@h/d", "mysql://u@h:99999/d", "mysql://u@h:abc/d",
        "postgres://u@h", "postgres://u@h/", "mysql://u:%zz@h/d", "mysql://@:5/d",
        "postgres://h/d?evil=1", "sqlite://", "sqlite:///tmp/dir/"}) {
    auto r = parse_database_url(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
    EXPECT_EQ(r.status().message().rfind("DATABASE_URL: ", 0), 0u) << r.status().message();
  }
}

TEST(Database, UnreachableServersFailFastWithOneLine) {
  for (const char* url : {"postgres://u:secret@127.0.0.1:1/d", "mysql://u:secret@127.0.0.1:1/d"}) {
    DatabaseOptions o;
    o.url = url;
    o.connect_timeout_seconds = 2;
    auto start = std::chrono::steady_clock::now();
    auto db = Database::open(o);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(db.ok()) << url;
    EXPECT_EQ(db.status().code(), core::StatusCode::kUnavailable);
    EXPECT_LT(took, std::chrono::seconds(5));
    EXPECT_EQ(db.status().message().find('\n'), std::string::npos) << db.status().message();
    EXPECT_EQ(db.status().message().find("secret"), std::string::npos) << db.status().message();
    EXPECT_NE(db.status().message().find("cannot connect to"), std::string::npos);
  }
}

TEST(Database, SqliteCreatesParentDirectoryAndUsesWal) {
  auto dir = testing::scratch_dir();
  DatabaseOptions o;
  o.url = "sqlite://" + (dir / "a" / "b" / "x.db").string();
  auto db = Database::open(o);
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  EXPECT_TRUE(std::filesystem::is_directory(dir / "a" / "b"));
  auto mode =
      (*db)->query<std::string>("mode", [](soci::session& sql) -> core::Result<std::string> {
        std::string m;
        sql << "PRAGMA journal_mode", soci::into(m);
        return m;
      });
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, "wal");
}

TEST(Database, TransactionRollsBackOnErrorAndNestedCallsJoin) {
  std::string url = testing::test_url();
  testing::wipe(url);
  DatabaseOptions o;
  o.url = url;
  o.pool_size = 2;
  auto db = Database::open(o);
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  Database& d = **db;
  ASSERT_TRUE(d.run("create", [](soci::session& sql) {
                 sql << "CREATE TABLE t_tx (k INTEGER NOT NULL PRIMARY KEY, v VARCHAR(20))";
                 return core::Status();
               }).ok());
  core::Status st = d.transaction("tx", [&](soci::session& sql) {
    sql << "INSERT INTO t_tx (k, v) VALUES (1, 'a')";
    // A nested repository-style call joins this transaction (same connection).
    EXPECT_TRUE(d.in_transaction());
    EXPECT_TRUE(d.run("inner", [](soci::session& s) {
                   s << "INSERT INTO t_tx (k, v) VALUES (2, 'b')";
                   return core::Status();
                 }).ok());
    return core::Status::internal("boom");
  });
  EXPECT_EQ(st.code(), core::StatusCode::kInternal);
  EXPECT_FALSE(d.in_transaction());
  auto n = d.query<long long>("count", [](soci::session& sql) -> core::Result<long long> {
    long long c = 0;
    sql << "SELECT COUNT(*) FROM t_tx", soci::into(c);
    return c;
  });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  // A duplicate key is AlreadyExists, not a crash.
  ASSERT_TRUE(d.run("i", [](soci::session& sql) {
                 sql << "INSERT INTO t_tx (k, v) VALUES (1, 'a')";
                 return core::Status();
               }).ok());
  st = d.run("dup", [](soci::session& sql) {
    sql << "INSERT INTO t_tx (k, v) VALUES (1, 'a')";
    return core::Status();
  });
  EXPECT_EQ(st.code(), core::StatusCode::kAlreadyExists) << st.to_string();
  ASSERT_TRUE(d.run("drop", [](soci::session& sql) {
                 sql << "DROP TABLE t_tx";
                 return core::Status();
               }).ok());
}

TEST(Executor, RunsTasksOffTheCallingThreadAndDrainsOnDestruction) {
  std::atomic<int> n{0};
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> other_thread{true};
  {
    ThreadPoolExecutor pool(3);
    for (int i = 0; i < 100; ++i) {
      pool.post([&] {
        if (std::this_thread::get_id() == caller) other_thread = false;
        ++n;
      });
    }
    auto f = submit(pool, [] { return 42; });
    EXPECT_EQ(f.get(), 42);
  }
  EXPECT_EQ(n.load(), 100);
  EXPECT_TRUE(other_thread.load());
}

}  // namespace
}  // namespace storage
