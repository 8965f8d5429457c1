#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/encoding.h"
#include "storage/internal/sql_util.h"
#include "storage/migrations.h"
#include "storage/rotate_key.h"
#include "tests/unit/storage/test_db.h"

namespace storage {
namespace {

class SecretsTest : public testing::StorageTest {
 protected:
  // Writes one of every secret kind, each containing `marker`.
  std::string fill(const std::string& marker) {
    EXPECT_TRUE(
        storage_->wa_sessions().create({.id = "sec", .webhook_secret = "whsec-" + marker}).ok());
    auto store = storage_->device_store("sec");
    core::Bytes rec = core::to_bytes("record-" + marker);
    EXPECT_TRUE(store->store_session({"1555", 0}, rec).ok());
    EXPECT_TRUE(store->save_identity({"1555", 0}, rec).ok());
    EXPECT_TRUE(store->store_pre_key(1, rec).ok());
    EXPECT_TRUE(store->store_signed_pre_key(1, rec).ok());
    EXPECT_TRUE(store->store_sender_key({"g@g.us", {"1555", 0}}, rec).ok());
    EXPECT_TRUE(store->store_message_secret("M", rec).ok());
    wa::store::DeviceCredentials c;
    c.push_name = "cred-" + marker;
    c.adv_secret_key = rec;
    EXPECT_TRUE(store->save_credentials(c).ok());
    auto token = storage_->tokens().issue_session_token("sec");
    EXPECT_TRUE(token.ok());
    return token.ok() ? token->token : "";
  }

  void expect_all_readable(Storage& s, const std::string& marker) {
    auto store = s.device_store("sec");
    core::Bytes rec = core::to_bytes("record-" + marker);
    EXPECT_EQ(**store->load_session({"1555", 0}), rec);
    EXPECT_EQ(**store->load_identity({"1555", 0}), rec);
    EXPECT_EQ(**store->load_pre_key(1), rec);
    EXPECT_EQ(**store->load_signed_pre_key(1), rec);
    EXPECT_EQ(**store->load_sender_key({"g@g.us", {"1555", 0}}), rec);
    EXPECT_EQ(**store->load_message_secret("M"), rec);
    EXPECT_EQ((*store->load_credentials())->push_name, "cred-" + marker);
    EXPECT_EQ((*s.wa_sessions().find("sec"))->webhook_secret, "whsec-" + marker);
  }

  // Everything the database holds, as bytes: the raw SQLite files, or a dump of every row.
  std::string raw_contents() {
    std::string all;
    if (storage_->db().dialect() == Dialect::kSqlite) {
      for (const char* suffix : {"", "-wal"}) {
        std::ifstream in(dir_ / (std::string("test.db") + suffix), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        all += ss.str();
      }
      EXPECT_GT(all.size(), 4096u);
      return all;
    }
    auto tables = list_tables(storage_->db());
    EXPECT_TRUE(tables.ok());
    EXPECT_TRUE(storage_->db()
                    .run("dump",
                         [&](soci::session& sql) {
                           for (const auto& t : *tables) {
                             soci::rowset<soci::row> rows = (sql.prepare << "SELECT * FROM " + t);
                             for (const auto& r : rows) {
                               for (size_t i = 0; i < r.size(); ++i)
                                 all += internal::row_text(r, i, "") + "\x1f";
                             }
                           }
                           return core::Status();
                         })
                    .ok());
    return all;
  }
};

TEST_F(SecretsTest, DatabaseHoldsNoPlaintextKeyMaterialOrTokens) {
  const std::string marker = "PLAINTEXT-MARKER-8d1f";
  std::string token = fill(marker);
  ASSERT_FALSE(token.empty());
  std::string raw = raw_contents();
  ASSERT_NE(raw.find("sec"), std::string::npos);  // sanity: we are looking at the data
  for (const std::string& needle :
       {marker, core::hex_encode(core::as_view(marker)),
        core::base64_encode(core::as_view("record-" + marker)), token, token.substr(4)}) {
    EXPECT_EQ(raw.find(needle), std::string::npos) << "found " << needle;
  }
  // The token is findable only as its SHA-256.
  EXPECT_NE(raw.find(internal::token_hash(token)), std::string::npos);
}

TEST_F(SecretsTest, WrongKeyIsAClearStartupError) {
  fill("m");
  storage_.reset();
  auto wrong = reopen(testing::kOtherKeyHex);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong.status().message().find("not the key this database was encrypted with"),
            std::string::npos)
      << wrong.status().message();
  auto right = reopen();
  ASSERT_TRUE(right.ok()) << right.status().to_string();
  expect_all_readable(**right, "m");
  EXPECT_EQ(reopen("abc").status().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(SecretsTest, RotationReencryptsEverythingInOneTransaction) {
  fill("rot");
  auto old_box = SecretBox::create(*parse_master_key(testing::kTestKeyHex));
  auto new_box = SecretBox::create(*parse_master_key(testing::kOtherKeyHex));
  ASSERT_TRUE(old_box.ok() && new_box.ok());
  // Rotating with the wrong "current" key is refused and changes nothing.
  EXPECT_EQ(rotate_key(storage_->db(), *new_box, *old_box, clock_).status().code(),
            core::StatusCode::kFailedPrecondition);
  auto stats = rotate_key(storage_->db(), *old_box, *new_box, clock_);
  ASSERT_TRUE(stats.ok()) << stats.status().to_string();
  EXPECT_EQ(stats->values, 8);
  storage_.reset();
  EXPECT_FALSE(reopen(testing::kTestKeyHex).ok());
  auto rotated = reopen(testing::kOtherKeyHex);
  ASSERT_TRUE(rotated.ok()) << rotated.status().to_string();
  expect_all_readable(**rotated, "rot");
}

TEST_F(SecretsTest, RotateKeyCommandUpdatesTheKeyFile) {
  storage_.reset();
  auto key_file = dir_ / "data" / "secret.key";
  StorageOptions o;
  o.database.url = url_;
  o.key_file = key_file;  // no TOKEN_ENCRYPTION_KEY: the file is generated
  auto s = Storage::open(o, clock_, random_);
  ASSERT_FALSE(s.ok());  // the database already has the test key's check value
  std::filesystem::remove(key_file);
  ASSERT_TRUE(write_key_file(key_file, *parse_master_key(testing::kTestKeyHex)).ok());
  s = Storage::open(o, clock_, random_);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  storage_ = std::move(s).value();
  fill("cmd");
  storage_.reset();
  std::ostringstream out, err;
  RotateKeyOptions r{url_, std::nullopt, key_file, testing::kOtherKeyHex};
  ASSERT_EQ(run_rotate_key_command(r, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("re-encrypted 8 value(s)"), std::string::npos) << out.str();
  auto loaded = load_or_create_master_key(std::nullopt, key_file);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(core::hex_encode(loaded->key), testing::kOtherKeyHex);
  auto again = Storage::open(o, clock_, random_);
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  expect_all_readable(**again, "cmd");
  r.new_key_hex = "short";
  EXPECT_EQ(run_rotate_key_command(r, out, err), 2);
}

TEST(MasterKey, GeneratedOnceWithMode0600AndNeverReplaced) {
  auto dir = testing::scratch_dir();
  auto file = dir / "data" / "secret.key";
  auto first = load_or_create_master_key(std::nullopt, file);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_TRUE(first->generated);
  EXPECT_EQ(first->key.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = load_or_create_master_key(std::nullopt, file);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->key, first->key);
  auto env = load_or_create_master_key(std::string(testing::kTestKeyHex), file);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->source, "TOKEN_ENCRYPTION_KEY");
  EXPECT_EQ(load_or_create_master_key(std::string("zz"), file).status().code(),
            core::StatusCode::kInvalidArgument);
  ::chmod(file.c_str(), 0644);
  EXPECT_EQ(load_or_create_master_key(std::nullopt, file).status().code(),
            core::StatusCode::kPermissionDenied);
  ::chmod(file.c_str(), 0600);
  std::ofstream(file) << "garbage";
  EXPECT_EQ(load_or_create_master_key(std::nullopt, file).status().code(),
            core::StatusCode::kInvalidArgument);
}

TEST(SecretBoxTest, SealOpenPurposeBindingAndTamper) {
  auto box = SecretBox::create(core::Bytes(32, 1));
  ASSERT_TRUE(box.ok());
  std::string sealed = box->seal("hello", "t1");
  EXPECT_EQ(sealed.rfind("v1:", 0), 0u);
  EXPECT_NE(box->seal("hello", "t1"), sealed);  // fresh nonce each time
  EXPECT_EQ(core::to_string(*box->open(sealed, "t1")), "hello");
  EXPECT_EQ(box->open(sealed, "t2").status().code(), core::StatusCode::kUnauthenticated);
  std::string tampered = sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box->open(tampered, "t1").ok());
  EXPECT_EQ(box->open("plain", "t1").status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(box->open("v1:AAAA", "t1").status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(SecretBox::create(core::Bytes(16, 1)).ok());
}

}  // namespace
}  // namespace storage
