#include "storage/rotate_key.h"

#include <cstdio>
#include <ostream>

#include "storage/internal/sql_util.h"
#include "storage/migrations.h"
#include "storage/storage.h"

namespace storage {
namespace {

struct SealedColumn {
  const char* table;
  const char* column;
  const char* keys;  // primary-key columns, comma-separated
  const char* purpose;
};

// Every column holding SecretBox output. A new sealed column must be added here.
constexpr SealedColumn kSealedColumns[] = {
    {"signal_identities", "record", "session_id, address", "signal_identities"},
    {"signal_sessions", "record", "session_id, name, device_id", "signal_sessions"},
    {"signal_pre_keys", "record", "session_id, key_id", "signal_pre_keys"},
    {"signal_signed_pre_keys", "record", "session_id, key_id", "signal_signed_pre_keys"},
    {"signal_sender_keys", "record", "session_id, group_id, sender", "signal_sender_keys"},
    {"device_credentials", "data", "session_id", "device_credentials"},
    {"message_secrets", "secret", "session_id, message_id", "message_secrets"},
    {"wa_sessions", "webhook_secret", "id", "wa_sessions.webhook_secret"},
};

std::vector<std::string> split_keys(std::string_view keys) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= keys.size()) {
    size_t comma = keys.find(',', pos);
    std::string_view k =
        keys.substr(pos, comma == std::string_view::npos ? keys.npos : comma - pos);
    while (!k.empty() && k.front() == ' ') k.remove_prefix(1);
    out.emplace_back(k);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

core::Result<RotationStats> rotate_key(Database& db, const SecretBox& old_box,
                                       const SecretBox& new_box, const core::Clock& clock) {
  RotationStats stats;
  core::Status st =
      db.transaction("rotating the encryption key", [&](soci::session& sql) -> core::Status {
        std::string check;
        soci::indicator ind = soci::i_null;
        std::string name(kKeyCheckSetting);
        sql << "SELECT value FROM settings WHERE name = :n", soci::use(name),
            soci::into(check, ind);
        if (sql.got_data() && ind == soci::i_ok && !old_box.matches_key_check(check)) {
          return core::Status::failed_precondition(
              "the current key does not match this database; cannot rotate");
        }
        for (const auto& col : kSealedColumns) {
          std::vector<std::string> keys = split_keys(col.keys);
          // Read everything first: the rows are rewritten below on the same connection.
          std::vector<std::vector<std::string>> key_values;
          std::vector<std::string> sealed_values;
          soci::rowset<soci::row> rows =
              (sql.prepare << std::string("SELECT ") + col.keys + ", " + col.column + " FROM " +
                                  col.table + " WHERE " + col.column + " IS NOT NULL");
          for (const auto& r : rows) {
            std::vector<std::string> kv;
            for (size_t i = 0; i < keys.size(); ++i) kv.push_back(internal::row_text(r, i));
            key_values.push_back(std::move(kv));
            sealed_values.push_back(internal::row_text(r, keys.size()));
          }
          std::string where;
          for (const auto& k : keys) where += (where.empty() ? "" : " AND ") + k + " = :" + k;
          std::string update =
              std::string("UPDATE ") + col.table + " SET " + col.column + " = :v WHERE " + where;
          for (size_t i = 0; i < sealed_values.size(); ++i) {
            auto plain = old_box.open(sealed_values[i], col.purpose);
            if (!plain.ok()) {
              return plain.status().with_context(std::string("re-encrypting ") + col.table);
            }
            std::string resealed = new_box.seal(*plain, col.purpose);
            soci::statement stmt(sql);
            stmt.exchange(soci::use(resealed));
            for (const auto& v : key_values[i]) stmt.exchange(soci::use(v));
            stmt.alloc();
            stmt.prepare(update);
            stmt.define_and_bind();
            stmt.execute(true);
            ++stats.values;
          }
        }
        std::string new_check = new_box.make_key_check();
        long long now = clock.unix_millis();
        sql << db.upsert_sql("settings", {"name"}, {"value", "updated_at"}), soci::use(name),
            soci::use(new_check), soci::use(now);
        return core::Status();
      });
  if (!st.ok()) return st;
  return stats;
}

int run_rotate_key_command(const RotateKeyOptions& options, std::ostream& out, std::ostream& err) {
  auto new_key = parse_master_key(options.new_key_hex);
  if (!new_key.ok()) {
    err << "superlight rotate-key: --new-key: " << new_key.status().message() << "\n";
    return 2;
  }
  auto old_key = load_or_create_master_key(options.current_key_hex, options.key_file);
  if (!old_key.ok()) {
    err << "superlight rotate-key: " << old_key.status().message() << "\n";
    return 1;
  }
  if (old_key->generated) {
    err << "superlight rotate-key: no current key (TOKEN_ENCRYPTION_KEY unset and "
        << options.key_file.string() << " did not exist); nothing to rotate\n";
    std::remove(options.key_file.c_str());
    return 1;
  }
  if (old_key->key == *new_key) {
    err << "superlight rotate-key: the new key equals the current key\n";
    return 2;
  }
  DatabaseOptions dbo;
  if (!options.database_url.empty()) dbo.url = options.database_url;
  dbo.pool_size = 1;
  auto db = Database::open(dbo);
  if (!db.ok()) {
    err << "superlight rotate-key: " << db.status().message() << "\n";
    return 1;
  }
  auto applied = Migrator(**db).migrate();
  if (!applied.ok()) {
    err << "superlight rotate-key: " << applied.status().message() << "\n";
    return 1;
  }
  auto old_box = SecretBox::create(old_key->key);
  auto new_box = SecretBox::create(*new_key);
  auto stats = rotate_key(**db, *old_box, *new_box, core::SystemClock::instance());
  if (!stats.ok()) {
    err << "superlight rotate-key: " << stats.status().message() << "\n";
    return 1;
  }
  out << "re-encrypted " << stats->values << " value(s) in " << (*db)->url().redacted() << "\n";
  if (old_key->source == options.key_file.string()) {
    core::Status st = write_key_file(options.key_file, *new_key);
    if (!st.ok()) {
      err << "superlight rotate-key: database now uses the new key but " << st.message()
          << "; set TOKEN_ENCRYPTION_KEY to the new key\n";
      return 1;
    }
    out << "wrote the new key to " << options.key_file.string() << "\n";
  } else {
    out << "set TOKEN_ENCRYPTION_KEY to the new key before the next start\n";
  }
  return 0;
}

}  // namespace storage
