// Test helpers for the storage suite. The same tests run against every dialect: with
// DATABASE_URL set (ctest's MariaDB and PostgreSQL runs, servers from scripts/test-db-start)
// each test wipes that database first; without it each test gets a fresh SQLite file.
//
// Threading: used from the test thread only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "storage/storage.h"

namespace storage::testing {

inline constexpr const char* kTestKeyHex =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
inline constexpr const char* kOtherKeyHex =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

// A per-test scratch directory under the system temp dir.
std::filesystem::path scratch_dir();

// The URL under test: DATABASE_URL, or a new SQLite file in scratch_dir().
std::string test_url();
bool testing_server();  // true for the MariaDB/PostgreSQL runs

// Drops every table of the database behind `url` (servers) so a test starts empty.
void wipe(const std::string& url);

// Opens a fresh, migrated Storage on test_url() with kTestKeyHex and a FakeClock.
class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Re-opens on the same database (after a simulated restart).
  core::Result<std::unique_ptr<Storage>> reopen(const std::string& key_hex = kTestKeyHex);

  std::string url_;
  std::filesystem::path dir_;
  core::FakeClock clock_{1'700'000'000};
  core::FakeRandom random_{7};
  std::unique_ptr<Storage> storage_;
};

}  // namespace storage::testing

namespace storage::testing {

// A helper process (tests/unit/storage/child_main.cpp) started with posix_spawn; its stdout
// is readable through `out_fd`.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
};
Child spawn_child(const std::vector<std::string>& args);
// Reads the child's stdout to EOF and waits; returns {exit status from waitpid, output}.
std::pair<int, std::string> finish_child(Child child);

}  // namespace storage::testing
