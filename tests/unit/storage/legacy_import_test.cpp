#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/encoding.h"
#include "storage/legacy_import.h"
#include "storage/password.h"
#include "tests/unit/storage/legacy_fixture.h"
#include "tests/unit/storage/test_db.h"

namespace storage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::LegacyFixture;

class LegacyImportTest : public testing::StorageTest {};

TEST_F(LegacyImportTest, ImportsTheSeedFilesIdempotentlyAndReportsCorruptOnes) {
  const std::string legacy_key = std::string(testing::kOtherKeyHex) + "0000extra";  // >64 chars
  fs::path old = dir_ / "old-server";
  core::FakeRandom rng(5);
  auto admin_hash = bcrypt_hash("123456789", 4, rng);
  auto user_hash = bcrypt_hash("hunter2", 4, rng);
  ASSERT_TRUE(admin_hash.ok() && user_hash.ok());
  LegacyFixture fx(old, legacy_key);
  fx.write_all("$2a$" + admin_hash->substr(4), *user_hash);  // bcryptjs writes $2a$
  // A corrupted file and one encrypted under another key: reported, left in place.
  fs::create_directories(old / "activity_logs");
  std::ofstream(old / "activity_logs/activities_2025-12-02.enc")
      << "00112233445566778899aabbccddeeff:zz";
  LegacyFixture wrong(old, testing::kTestKeyHex);
  wrong.write("campaigns/other.json", {{"id", "x"}});

  auto report = import_legacy(*storage_, old, legacy_key);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->users, 2);
  EXPECT_EQ(report->sessions, 3);  // sales, support (owned) + legacy_only (token file)
  EXPECT_EQ(report->tokens, 2);
  EXPECT_EQ(report->recipient_lists, 1);
  EXPECT_EQ(report->recipients, 2);
  EXPECT_EQ(report->campaigns, 1);
  EXPECT_EQ(report->campaign_recipients, 2);
  EXPECT_EQ(report->activities, 2);
  EXPECT_EQ(report->imported_files.size(), 5u);
  ASSERT_EQ(report->errors.size(), 2u);
  EXPECT_TRUE(fs::exists(old / "activity_logs/activities_2025-12-02.enc"));
  EXPECT_TRUE(fs::exists(old / "campaigns/other.json"));
  EXPECT_TRUE(fs::exists(old / "users.enc.bak"));
  EXPECT_FALSE(fs::exists(old / "users.enc"));
  EXPECT_TRUE(fs::exists(old / "campaigns/campaign_1733100000000_deadbeef.json.bak"));

  // Users: bcrypt kept and verifiable, flagged for re-hash; roles, active flag, last login.
  auto admin = storage_->users().find_by_email("admin@example.com");
  ASSERT_TRUE(admin.ok() && *admin);
  EXPECT_EQ((*admin)->role, "admin");
  EXPECT_TRUE(*verify_password("123456789", (*admin)->password_hash));
  EXPECT_TRUE(password_needs_rehash((*admin)->password_hash));
  EXPECT_EQ((*admin)->last_login_at, *parse_iso8601_ms("2025-12-01T08:30:15.250Z"));
  auto user = storage_->users().find_by_email("user@example.com");
  ASSERT_TRUE(user.ok() && *user);
  EXPECT_FALSE((*user)->active);
  EXPECT_TRUE(*verify_password("hunter2", (*user)->password_hash));
  EXPECT_EQ((*storage_->wa_sessions().find("sales"))->owner_id, (*admin)->id);
  // Tokens keep working but are stored hashed.
  auto tok = storage_->tokens().authenticate("2b7e1516-28ae-4d2a-a6f7-15884c09cf4f");
  ASSERT_TRUE(tok.ok() && *tok);
  EXPECT_EQ((*tok)->session_id, "sales");
  // Lists, campaigns, activity.
  auto list = storage_->recipient_lists().find("list_1733100000000_ab12cd");
  ASSERT_TRUE(list.ok() && *list);
  EXPECT_EQ((*list)->name, "VIP قائمة");
  EXPECT_EQ((*list)->created_by_id, (*user)->id);
  auto rs = storage_->recipient_lists().recipients("list_1733100000000_ab12cd");
  ASSERT_EQ(rs->size(), 2u);
  EXPECT_EQ((*rs)[0].number, "15550000001");
  EXPECT_EQ(json::parse((*rs)[0].custom_fields_json)["City"], "Paris");
  auto camp = storage_->campaigns().find("campaign_1733100000000_deadbeef");
  ASSERT_TRUE(camp.ok() && *camp);
  EXPECT_EQ((*camp)->status, "completed");
  EXPECT_EQ((*camp)->session_id, "sales");
  EXPECT_EQ((*camp)->name, "December 🎄");
  auto stats = storage_->campaigns().stats("campaign_1733100000000_deadbeef");
  EXPECT_EQ(stats->sent, 1);
  EXPECT_EQ(stats->failed, 1);
  auto acts = storage_->activity().query({.user_email = "admin@example.com"});
  ASSERT_EQ(acts->size(), 2u);
  EXPECT_EQ((*acts)[0].user_id, (*admin)->id);

  // Second run over freshly written copies of the same data: nothing duplicated.
  fx.write_all("$2a$" + admin_hash->substr(4), *user_hash);
  auto again = import_legacy(*storage_, old, legacy_key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->activities, 0);
  EXPECT_EQ(again->tokens, 0);
  EXPECT_EQ(again->sessions, 0);
  EXPECT_EQ(*storage_->users().count(), 2);
  EXPECT_EQ(storage_->recipient_lists().recipients("list_1733100000000_ab12cd")->size(), 2u);
  EXPECT_EQ(storage_->campaigns().stats("campaign_1733100000000_deadbeef")->total, 2);
  EXPECT_EQ(storage_->activity().query({})->size(), 2u);
  EXPECT_EQ(storage_->tokens().list_for_session("sales")->size(), 1u);

  EXPECT_EQ(import_legacy(*storage_, old, "short").status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(import_legacy(*storage_, dir_ / "missing", legacy_key).status().code(),
            core::StatusCode::kNotFound);
}

TEST_F(LegacyImportTest, ImportAtStartOnlyWhenSeedFilesAreThereAndLogsTheOutcome) {
  const std::string legacy_key = testing::kOtherKeyHex;
  std::ostringstream logged;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged);
  spdlog::logger log("test", sink);
  log.set_pattern("%l %v");
  fs::path wd = dir_ / "workdir";
  fs::create_directories(wd / "data");
  std::ofstream(wd / "data/secret.key") << "not a seed file";

  // Nothing to import: no report, no noise.
  EXPECT_FALSE(has_legacy_files(wd));
  auto none = import_legacy_at_start(*storage_, wd, legacy_key, log);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(logged.str(), "");

  core::FakeRandom rng(5);
  auto hash = bcrypt_hash("123456789", 4, rng);
  ASSERT_TRUE(hash.ok());
  LegacyFixture fx(wd, legacy_key);
  fx.write_all(*hash, *hash);
  std::ofstream(wd / "activity_logs/activities_2025-12-02.enc") << "corrupt";
  EXPECT_TRUE(has_legacy_files(wd));

  // Without the old key the files cannot be read: a warning, the files stay.
  auto no_key = import_legacy_at_start(*storage_, wd, std::nullopt, log);
  ASSERT_TRUE(no_key.ok());
  EXPECT_FALSE(no_key->has_value());
  EXPECT_NE(logged.str().find("warning legacy seed files found"), std::string::npos)
      << logged.str();
  EXPECT_TRUE(fs::exists(wd / "users.enc"));
  EXPECT_EQ(*storage_->users().count(), 0);

  logged.str("");
  auto first = import_legacy_at_start(*storage_, wd, legacy_key, log);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->users, 2);
  EXPECT_EQ((*first)->imported_files.size(), 5u);
  ASSERT_EQ((*first)->errors.size(), 1u);
  EXPECT_EQ(*storage_->users().count(), 2);
  EXPECT_NE(logged.str().find("info legacy import from"), std::string::npos) << logged.str();
  EXPECT_NE(logged.str().find("warning legacy import: activity_logs/activities_2025-12-02.enc"),
            std::string::npos)
      << logged.str();
  EXPECT_TRUE(fs::exists(wd / "users.enc.bak"));
  EXPECT_TRUE(fs::exists(wd / "activity_logs/activities_2025-12-02.enc"));

  // Next start: only the corrupt file is left; nothing new is imported, it is reported again.
  EXPECT_TRUE(has_legacy_files(wd));
  auto second = import_legacy_at_start(*storage_, wd, legacy_key, log);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_TRUE((*second)->imported_files.empty());
  EXPECT_EQ((*second)->users, 0);
  EXPECT_EQ((*second)->errors.size(), 1u);
  EXPECT_EQ(*storage_->users().count(), 2);

  // Once that file is dealt with, only *.bak files remain: nothing to do.
  fs::remove(wd / "activity_logs/activities_2025-12-02.enc");
  EXPECT_FALSE(has_legacy_files(wd));

  // An unusable key is an error the caller sees.
  std::ofstream(wd / "users.enc") << "x";
  logged.str("");
  auto bad = import_legacy_at_start(*storage_, wd, std::string("abc"), log);
  EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(logged.str().find("error legacy import"), std::string::npos) << logged.str();
}

TEST(LegacyFormat, DecryptRejectsMalformedInputAndIsoDatesParse) {
  core::Bytes key(32, 7), iv(16, 9);
  auto text = legacy_encrypt(key, iv, "{\"a\":1}");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->substr(0, 33), core::hex_encode(iv) + ":");
  EXPECT_EQ(*legacy_decrypt(key, *text + "\n"), "{\"a\":1}");
  EXPECT_FALSE(legacy_decrypt(core::Bytes(32, 8), *text).ok());
  for (const char* bad : {"", ":", "zz:00", "0011:0011", "00112233445566778899aabbccddeeff:abc"}) {
    EXPECT_FALSE(legacy_decrypt(key, bad).ok()) << bad;
  }
  EXPECT_EQ(*parse_iso8601_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_iso8601_ms("2025-12-02T10:11:12.123Z"), 1764670272123);
  EXPECT_EQ(*parse_iso8601_ms("2025-12-02T12:11:12.123+02:00"), 1764670272123);
  EXPECT_EQ(*parse_iso8601_ms("2025-12-02"), 1764633600000);
  EXPECT_FALSE(parse_iso8601_ms("yesterday").ok());
  EXPECT_FALSE(parse_iso8601_ms("2025-13-02T00:00:00Z").ok());
}

}  // namespace
}  // namespace storage
