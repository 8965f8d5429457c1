// Storage: the one object the server opens at start. It loads the master key
// (TOKEN_ENCRYPTION_KEY or data/secret.key), opens the connection pool for DATABASE_URL,
// applies pending migrations under the cross-process lock, checks the key against the stored
// key-check value (a wrong key fails here, with a clear message, not later with garbage), and
// hands out the repositories and per-session device stores.
//
// Ownership: Storage owns the Database, the SecretBox and every repository; device stores and
// repositories returned by reference must not outlive it.
// Threading: repositories and device stores are thread-safe but blocking — use them from the
// BlockingExecutor. open() itself blocks.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "storage/account_repositories.h"
#include "storage/admin_repositories.h"
#include "storage/campaign_repositories.h"
#include "storage/database.h"
#include "storage/secret_box.h"
#include "storage/session_repositories.h"
#include "storage/sql_device_store.h"

namespace storage {

inline constexpr std::string_view kKeyCheckSetting = "secret_key_check";

struct StorageOptions {
  DatabaseOptions database;
  // TOKEN_ENCRYPTION_KEY (64 hex); when unset the key file is used or created.
  std::optional<std::string> encryption_key_hex;
  std::filesystem::path key_file = "data/secret.key";
  bool migrate = true;  // false: refuse to start on a database that needs migrating

  // DATABASE_URL and TOKEN_ENCRYPTION_KEY from the environment; defaults otherwise.
  static StorageOptions from_environment();
};

class Storage {
 public:
  static core::Result<std::unique_ptr<Storage>> open(
      const StorageOptions& options, const core::Clock& clock = core::SystemClock::instance(),
      core::Random& random = core::SecureRandom::instance());

  Database& db() { return *db_; }
  const SecretBox& secrets() const { return *box_; }
  const MasterKey& master_key() const { return key_; }

  UserRepository& users() { return users_; }
  AuthSessionRepository& auth_sessions() { return auth_sessions_; }
  TokenRepository& tokens() { return tokens_; }
  WaSessionRepository& wa_sessions() { return wa_sessions_; }
  MessageRepository& messages() { return messages_; }
  WebhookOutboxRepository& webhooks() { return webhooks_; }
  MediaRepository& media() { return media_; }
  RecipientListRepository& recipient_lists() { return recipient_lists_; }
  CampaignRepository& campaigns() { return campaigns_; }
  ActivityRepository& activity() { return activity_; }
  SettingsRepository& settings() { return settings_; }

  // The wa/store backend of one WhatsApp session (which must exist in wa_sessions).
  std::unique_ptr<SqlDeviceStore> device_store(const std::string& session_id) {
    return std::make_unique<SqlDeviceStore>(*db_, *box_, session_id);
  }

 private:
  Storage(std::unique_ptr<Database> db, std::unique_ptr<SecretBox> box, MasterKey key,
          const core::Clock& clock, core::Random& random);

  std::unique_ptr<Database> db_;
  std::unique_ptr<SecretBox> box_;
  MasterKey key_;
  UserRepository users_;
  AuthSessionRepository auth_sessions_;
  TokenRepository tokens_;
  WaSessionRepository wa_sessions_;
  MessageRepository messages_;
  WebhookOutboxRepository webhooks_;
  MediaRepository media_;
  RecipientListRepository recipient_lists_;
  CampaignRepository campaigns_;
  ActivityRepository activity_;
  SettingsRepository settings_;
};

// Checks (or, on a database without one, records) the key-check value for `box`.
// FailedPrecondition with an explanation when the database was encrypted under another key.
core::Status verify_or_record_key_check(Database& db, const SecretBox& box,
                                        const core::Clock& clock, std::string_view key_source);

}  // namespace storage
