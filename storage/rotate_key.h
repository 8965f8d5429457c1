// Key rotation: re-encrypts every sealed value (Signal records, device credentials, message
// secrets, webhook secrets) from the current master key to a new one and replaces the key-check
// value, all in ONE database transaction — a failure or crash leaves everything under the old
// key. `superlight rotate-key --new-key <64 hex>` wraps it; afterwards the new key is written
// to data/secret.key (when that is where the old key came from) or must be put into
// TOKEN_ENCRYPTION_KEY by the operator.
//
// Threading: blocking; run from a command or the BlockingExecutor. Stop the server first (a
// running server keeps sealing with the old key).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "storage/database.h"
#include "storage/secret_box.h"

namespace storage {

struct RotationStats {
  long long values = 0;  // sealed values re-encrypted
};

core::Result<RotationStats> rotate_key(Database& db, const SecretBox& old_box,
                                       const SecretBox& new_box, const core::Clock& clock);

struct RotateKeyOptions {
  std::string database_url;                    // DATABASE_URL (default when empty)
  std::optional<std::string> current_key_hex;  // TOKEN_ENCRYPTION_KEY
  std::filesystem::path key_file = "data/secret.key";
  std::string new_key_hex;  // --new-key
};

// Exit codes: 0 done, 1 failure (one line on err), 2 bad arguments.
int run_rotate_key_command(const RotateKeyOptions& options, std::ostream& out, std::ostream& err);

}  // namespace storage
