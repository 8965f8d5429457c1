#include "tests/unit/storage/test_db.h"

#include <unistd.h>

#include <atomic>

#include "storage/internal/sql_util.h"
#include "storage/migrations.h"

namespace storage::testing {

std::filesystem::path scratch_dir() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "x";
  for (auto& c : name) {
    if (c == '/') c = '_';
  }
  auto dir =
      std::filesystem::temp_directory_path() /
      ("sl-storage-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

bool testing_server() {
  const char* url = std::getenv("DATABASE_URL");
  return url && *url && std::string_view(url).substr(0, 6) != "sqlite";
}

std::string test_url() {
  if (const char* url = std::getenv("DATABASE_URL"); url && *url) return url;
  return "sqlite://" + (scratch_dir() / "test.db").string();
}

void wipe(const std::string& url) {
  DatabaseOptions o;
  o.url = url;
  o.pool_size = 1;
  auto db = Database::open(o);
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  if ((*db)->dialect() == Dialect::kSqlite) return;
  auto tables = list_tables(**db);
  ASSERT_TRUE(tables.ok()) << tables.status().to_string();
  core::Status st = (*db)->run("wiping", [&](soci::session& sql) {
    if ((*db)->dialect() == Dialect::kMysql) sql << "SET FOREIGN_KEY_CHECKS = 0";
    for (const auto& t : *tables) {
      sql << "DROP TABLE IF EXISTS " + t +
                 ((*db)->dialect() == Dialect::kPostgres ? " CASCADE" : "");
    }
    if ((*db)->dialect() == Dialect::kMysql) sql << "SET FOREIGN_KEY_CHECKS = 1";
    return core::Status();
  });
  ASSERT_TRUE(st.ok()) << st.to_string();
}

void StorageTest::SetUp() {
  dir_ = scratch_dir();
  url_ = testing_server() ? test_url() : "sqlite://" + (dir_ / "test.db").string();
  wipe(url_);
  auto s = reopen();
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  storage_ = std::move(s).value();
}

void StorageTest::TearDown() {
  storage_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

core::Result<std::unique_ptr<Storage>> StorageTest::reopen(const std::string& key_hex) {
  StorageOptions o;
  o.database.url = url_;
  o.database.pool_size = 3;
  o.encryption_key_hex = key_hex;
  o.key_file = dir_ / "secret.key";
  return Storage::open(o, clock_, random_);
}

}  // namespace storage::testing

#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace storage::testing {

Child spawn_child(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<std::string> full = {SL_STORAGE_CHILD};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, SL_STORAGE_CHILD, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return {};
  }
  return {pid, fds[0]};
}

std::pair<int, std::string> finish_child(Child child) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(child.out_fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(child.out_fd);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  return {status, out};
}

}  // namespace storage::testing
