#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>

#include "storage/migrations.h"
#include "tests/unit/storage/test_db.h"

namespace storage {
namespace {

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = testing::test_url();
    testing::wipe(url_);
    DatabaseOptions o;
    o.url = url_;
    o.pool_size = 2;
    auto db = Database::open(o);
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
  }
  bool has_table(const std::string& name) {
    auto t = list_tables(*db_);
    EXPECT_TRUE(t.ok());
    return t.ok() && std::find(t->begin(), t->end(), name) != t->end();
  }
  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_F(MigrationsTest, EmbeddedFilesExistForEveryDialectWithTheSameVersions) {
  auto s = builtin_migrations(Dialect::kSqlite);
  auto m = builtin_migrations(Dialect::kMysql);
  auto p = builtin_migrations(Dialect::kPostgres);
  ASSERT_FALSE(s.empty());
  ASSERT_EQ(s.size(), m.size());
  ASSERT_EQ(s.size(), p.size());
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s[i].version, m[i].version);
    EXPECT_EQ(s[i].version, p[i].version);
    EXPECT_EQ(s[i].name, p[i].name);
  }
}

TEST_F(MigrationsTest, SplitterKeepsQuotedSemicolonsAndDropsComments) {
  auto parts = split_sql_statements(
      "-- a comment; with a semicolon\nCREATE TABLE a (x VARCHAR(3) DEFAULT ';');\n\n"
      "INSERT INTO a VALUES ('it''s; ok');  -- trailing\n;");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "CREATE TABLE a (x VARCHAR(3) DEFAULT ';')");
  EXPECT_EQ(parts[1], "INSERT INTO a VALUES ('it''s; ok')");
}

TEST_F(MigrationsTest, EmptyToLatestTwiceIsIdempotent) {
  Migrator m(*db_);
  auto before = m.status();
  ASSERT_TRUE(before.ok()) << before.status().to_string();
  EXPECT_EQ(before->current, 0);
  auto first = m.migrate();
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(*first, m.latest());
  auto second = m.migrate();
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(*second, 0);
  auto st = m.status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->current, m.latest());
  EXPECT_TRUE(st->pending.empty());
  EXPECT_EQ(st->applied.size(), static_cast<size_t>(m.latest()));
  for (const char* t : {"users",
                        "auth_sessions",
                        "api_tokens",
                        "wa_sessions",
                        "device_credentials",
                        "signal_identities",
                        "signal_sessions",
                        "signal_pre_keys",
                        "signal_signed_pre_keys",
                        "signal_sender_keys",
                        "lid_mappings",
                        "contacts",
                        "message_secrets",
                        "messages",
                        "message_status_history",
                        "webhook_outbox",
                        "webhook_deliveries",
                        "media_files",
                        "recipient_lists",
                        "recipients",
                        "campaigns",
                        "campaign_recipients",
                        "activity_log",
                        "settings",
                        "schema_version"}) {
    EXPECT_TRUE(has_table(t)) << t;
  }
}

std::vector<Migration> with_extra(Dialect d, std::vector<Migration> extra) {
  auto all = builtin_migrations(d);
  int next = all.back().version;
  for (auto& e : extra) {
    e.version = ++next;
    all.push_back(e);
  }
  return all;
}

TEST_F(MigrationsTest, ToVersionStatusAndNoDowngrade) {
  auto list = with_extra(db_->dialect(),
                         {{0, "extra_one", "CREATE TABLE IF NOT EXISTS extra_one (x INTEGER)"},
                          {0, "extra_two", "CREATE TABLE IF NOT EXISTS extra_two (x INTEGER)"}});
  Migrator m(*db_, list);
  int base = m.latest() - 2;
  auto applied = m.migrate(base + 1);
  ASSERT_TRUE(applied.ok()) << applied.status().to_string();
  EXPECT_EQ(*applied, base + 1);
  EXPECT_TRUE(has_table("extra_one"));
  EXPECT_FALSE(has_table("extra_two"));
  auto st = m.status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->current, base + 1);
  ASSERT_EQ(st->pending.size(), 1u);
  EXPECT_EQ(st->pending[0].name, "extra_two");
  auto down = m.migrate(base);
  EXPECT_EQ(down.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(m.migrate(base + 5).status().code(), core::StatusCode::kInvalidArgument);
  // A binary that knows fewer migrations than the database refuses to touch it.
  Migrator old(*db_, builtin_migrations(db_->dialect()));
  EXPECT_EQ(old.migrate().status().code(), core::StatusCode::kFailedPrecondition);
}

TEST_F(MigrationsTest, FailingMigrationNamesTheStepAndLeavesSchemaAsItWas) {
  auto broken = with_extra(db_->dialect(), {{0, "broken",
                                             "CREATE TABLE IF NOT EXISTS extra_half (x INTEGER);\n"
                                             "CREATE TABLE extra_bad (this is not sql);"}});
  Migrator m(*db_, broken);
  auto r = m.migrate();
  ASSERT_FALSE(r.ok());
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("_broken failed at statement 2 of 2"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  auto st = m.status();
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->current, m.latest() - 1);  // the good migrations before it are kept
  EXPECT_FALSE(has_table("extra_bad"));
  if (db_->dialect() == Dialect::kMysql) {
    // DDL auto-commits on MariaDB: the first step stays, and the message says it is re-runnable.
    EXPECT_TRUE(has_table("extra_half"));
    EXPECT_NE(msg.find("re-runnable"), std::string::npos) << msg;
  } else {
    EXPECT_FALSE(has_table("extra_half"));
    EXPECT_NE(msg.find("schema was left unchanged"), std::string::npos) << msg;
  }
  // Fixed migration: runs cleanly on top of whatever the failed attempt left.
  auto fixed = with_extra(db_->dialect(), {{0, "broken",
                                            "CREATE TABLE IF NOT EXISTS extra_half (x INTEGER);\n"
                                            "CREATE TABLE IF NOT EXISTS extra_bad (x INTEGER);"}});
  Migrator m2(*db_, fixed);
  auto ok = m2.migrate();
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(*ok, 1);
  EXPECT_TRUE(has_table("extra_half"));
  EXPECT_TRUE(has_table("extra_bad"));
}

TEST_F(MigrationsTest, TwoProcessesStartingAtOnceMigrateOnce) {
  for (int round = 0; round < 3; ++round) {
    // SQLite: a new file per round; servers: the wiped test database.
    std::string url = testing::testing_server() ? url_ : testing::test_url();
    testing::wipe(url);
    DatabaseOptions o;
    o.url = url;
    auto db = Database::open(o);
    ASSERT_TRUE(db.ok());
    std::vector<testing::Child> children;
    for (int i = 0; i < 3; ++i) children.push_back(testing::spawn_child({"migrate", url}));
    int total = 0;
    for (auto& c : children) {
      ASSERT_GT(c.pid, 0);
      auto [status, out] = testing::finish_child(c);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
      total += std::stoi(out);
    }
    EXPECT_EQ(total, Migrator(**db).latest()) << "round " << round;
    auto st = Migrator(**db).status();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->applied.size(), static_cast<size_t>(Migrator(**db).latest()));
  }
}

}  // namespace
}  // namespace storage
