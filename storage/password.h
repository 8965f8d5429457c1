// Password hashing for dashboard users: new hashes are argon2id (libsodium's
// crypto_pwhash_str_alg, "$argon2id$…"); bcrypt hashes imported from the Node server
// ("$2a$", "$2b$", "$2y$") are verified with libxcrypt's crypt_r and reported as needing a
// re-hash, so the login path upgrades them to argon2id.
//
// Threading: pure functions; crypt_r gets a heap-allocated crypt_data per call (it is ~32 KiB,
// too large for small coroutine stacks).
#pragma once

#include <string>
#include <string_view>

#include "core/random.h"
#include "core/status.h"

namespace storage {

enum class PasswordCost {
  kInteractive,  // libsodium's interactive limits (production)
  kMinimal,      // the smallest allowed limits: only for tests
};

core::Result<std::string> hash_password(std::string_view password,
                                        PasswordCost cost = PasswordCost::kInteractive);

// OK(true/false) for a well-formed hash; InvalidArgument for an unknown hash format.
core::Result<bool> verify_password(std::string_view password, std::string_view hash);

// True for anything that is not an argon2id hash at the current cost.
bool password_needs_rehash(std::string_view hash, PasswordCost cost = PasswordCost::kInteractive);

// A bcrypt hash ("$2b$<cost>$…") through crypt_gensalt_rn/crypt_r; used to build legacy
// fixtures and by tools that must produce seed-compatible hashes.
core::Result<std::string> bcrypt_hash(std::string_view password, int cost, core::Random& random);

}  // namespace storage
