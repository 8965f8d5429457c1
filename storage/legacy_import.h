// Import of the Node server's encrypted files (seed-system.md §8–9): users.enc,
// session_tokens.enc, recipient_lists/*.json, campaigns/*.json and activity_logs/*.enc, each an
// AES-256-CBC `<iv hex>:<ciphertext hex>` text under the first 64 hex characters of
// TOKEN_ENCRYPTION_KEY (no KDF, no MAC). Each file is imported in one DB transaction with
// upserts, so re-running never duplicates; an imported file is renamed to `<name>.bak`; a file
// that fails (wrong key, corrupt, bad JSON) is reported and left in place for the next run.
// bcrypt password hashes are kept as they are (verified with crypt_r, re-hashed to argon2id at
// the next login); session tokens are stored only as SHA-256, like new ones.
//
// Threading: blocking; run from the CLI or once at start-up before serving.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "storage/storage.h"

namespace spdlog {
class logger;
}

namespace storage {

struct LegacyImportReport {
  int users = 0;
  int sessions = 0;  // WhatsApp sessions created for users' session lists and tokens
  int tokens = 0;
  int recipient_lists = 0;
  int recipients = 0;
  int campaigns = 0;
  int campaign_recipients = 0;
  int activities = 0;                       // newly inserted (already imported entries are skipped)
  std::vector<std::string> imported_files;  // relative to the directory
  std::vector<std::pair<std::string, std::string>> errors;  // file, reason
};

// Imports every legacy file present in `dir`. `legacy_key_hex` is the seed's
// TOKEN_ENCRYPTION_KEY (its first 64 hex characters are the AES key). Fails as a whole only
// when the key is unusable; per-file problems go to the report.
core::Result<LegacyImportReport> import_legacy(Storage& storage, const std::filesystem::path& dir,
                                               std::string_view legacy_key_hex);

// The seed's file format, for fixtures and tools: "<iv hex>:<ciphertext hex>".
core::Result<std::string> legacy_encrypt(core::ByteView key, core::ByteView iv,
                                         std::string_view plaintext);
core::Result<std::string> legacy_decrypt(core::ByteView key, std::string_view file_text);

// ISO-8601 ("2025-12-02T10:11:12.123Z", "+02:00" offsets, date only) to Unix milliseconds.
core::Result<long long> parse_iso8601_ms(std::string_view text);

// True when `dir` holds seed files not yet imported: users.enc, session_tokens.enc,
// activity_logs/*.enc, campaigns/*.json or recipient_lists/*.json (imported ones are *.bak).
bool has_legacy_files(const std::filesystem::path& dir);

// What the server calls once at start, before serving, with its working directory: when seed
// files sit there, imports them (as the import-legacy command does) and logs the outcome on
// `log` — one info line with the counts, one warning per file that failed (left in place for
// the next start). Returns std::nullopt when there was nothing to import or no key to read the
// files with (TOKEN_ENCRYPTION_KEY unset: the server generated its own key, which cannot be
// the old server's; that is logged as a warning). An error Status only when the key is
// unusable or the directory vanished; the caller decides whether that stops the start.
core::Result<std::optional<LegacyImportReport>> import_legacy_at_start(
    Storage& storage, const std::filesystem::path& dir,
    const std::optional<std::string>& legacy_key_hex, spdlog::logger& log);

struct ImportLegacyOptions {
  std::filesystem::path dir;
  StorageOptions storage;                     // DATABASE_URL, TOKEN_ENCRYPTION_KEY, key file
  std::optional<std::string> legacy_key_hex;  // defaults to storage.encryption_key_hex
};

// Exit codes: 0 all imported, 1 failure or some files failed (listed on err), 2 bad arguments.
int run_import_legacy_command(const ImportLegacyOptions& options, std::ostream& out,
                              std::ostream& err);

}  // namespace storage
