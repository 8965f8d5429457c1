#include "storage/storage.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "core/log.h"
#include "storage/migrations.h"

namespace storage {

StorageOptions StorageOptions::from_environment() {
  StorageOptions o;
  if (const char* url = std::getenv("DATABASE_URL"); url && *url) o.database.url = url;
  if (const char* key = std::getenv("TOKEN_ENCRYPTION_KEY"); key && *key) {
    o.encryption_key_hex = key;
  }
  return o;
}

Storage::Storage(std::unique_ptr<Database> db, std::unique_ptr<SecretBox> box, MasterKey key,
                 const core::Clock& clock, core::Random& random)
    : db_(std::move(db)),
      box_(std::move(box)),
      key_(std::move(key)),
      users_(*db_, clock, random),
      auth_sessions_(*db_, clock, random),
      tokens_(*db_, clock, random),
      wa_sessions_(*db_, *box_, clock),
      messages_(*db_, clock),
      webhooks_(*db_, clock),
      media_(*db_, clock, random),
      recipient_lists_(*db_, clock),
      campaigns_(*db_, clock),
      activity_(*db_, clock),
      settings_(*db_, clock) {}

core::Status verify_or_record_key_check(Database& db, const SecretBox& box,
                                        const core::Clock& clock, std::string_view key_source) {
  SettingsRepository settings(db, clock);
  auto stored = settings.get(std::string(kKeyCheckSetting));
  if (!stored.ok()) return stored.status();
  if (!*stored) return settings.set(std::string(kKeyCheckSetting), box.make_key_check());
  if (!box.matches_key_check(**stored)) {
    return core::Status::failed_precondition(
        "the encryption key from " + std::string(key_source) +
        " is not the key this database was encrypted with; start with the original "
        "TOKEN_ENCRYPTION_KEY (or data/secret.key), or change keys with `superlight rotate-key`");
  }
  return core::Status();
}

core::Result<std::unique_ptr<Storage>> Storage::open(const StorageOptions& options,
                                                     const core::Clock& clock,
                                                     core::Random& random) {
  auto key = load_or_create_master_key(options.encryption_key_hex, options.key_file);
  if (!key.ok()) return key.status();
  if (key->generated) {
    core::get_logger("storage")->warn(
        "TOKEN_ENCRYPTION_KEY is not set: generated a new key in {} (mode 0600). Back it up: "
        "without it the stored WhatsApp sessions and secrets cannot be decrypted.",
        key->source);
  }
  auto db = Database::open(options.database);
  if (!db.ok()) return db.status();

  Migrator migrator(**db);
  if (options.migrate) {
    auto applied = migrator.migrate();
    if (!applied.ok()) return applied.status();
    if (*applied > 0) {
      core::get_logger("storage")->info("applied {} migration(s) to {}", *applied,
                                        (*db)->url().redacted());
    }
  } else {
    auto st = migrator.status();
    if (!st.ok()) return st.status();
    if (!st->pending.empty()) {
      return core::Status::failed_precondition(
          "database schema is at version " + std::to_string(st->current) + ", this build needs " +
          std::to_string(st->latest) + "; run `superlight migrate`");
    }
  }
  auto box = SecretBox::create(key->key);
  if (!box.ok()) return box.status();
  auto boxp = std::make_unique<SecretBox>(std::move(box).value());
  CORE_RETURN_IF_ERROR(verify_or_record_key_check(**db, *boxp, clock, key->source));
  return std::unique_ptr<Storage>(
      new Storage(std::move(db).value(), std::move(boxp), std::move(key).value(), clock, random));
}

}  // namespace storage
