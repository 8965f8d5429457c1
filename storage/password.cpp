#include "storage/password.h"

#include <crypt.h>
#include <sodium.h>

#include <memory>

namespace storage {
namespace {

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

void limits(PasswordCost cost, unsigned long long* ops, size_t* mem) {
  if (cost == PasswordCost::kMinimal) {
    *ops = crypto_pwhash_OPSLIMIT_MIN;
    *mem = crypto_pwhash_MEMLIMIT_MIN;
  } else {
    *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  }
}

bool is_bcrypt(std::string_view hash) {
  return hash.size() == 60 && (hash.substr(0, 4) == "$2a$" || hash.substr(0, 4) == "$2b$" ||
                               hash.substr(0, 4) == "$2y$");
}

}  // namespace

core::Result<std::string> hash_password(std::string_view password, PasswordCost cost) {
  if (!sodium_ready()) return core::Status::internal("libsodium failed to initialise");
  unsigned long long ops;
  size_t mem;
  limits(cost, &ops, &mem);
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return core::Status::internal("argon2id hashing failed (out of memory)");
  }
  return std::string(out);
}

core::Result<bool> verify_password(std::string_view password, std::string_view hash) {
  if (hash.substr(0, 10) == "$argon2id$") {
    if (!sodium_ready()) return core::Status::internal("libsodium failed to initialise");
    std::string h(hash);  // needs a NUL-terminated copy
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
  }
  if (is_bcrypt(hash)) {
    // bcrypt only looks at the first 72 bytes; a NUL inside the password would truncate it.
    if (password.find('\0') != std::string_view::npos) return false;
    auto data = std::make_unique<crypt_data>();
    std::string pw(password), setting(hash);
    const char* out = crypt_r(pw.c_str(), setting.c_str(), data.get());
    if (out == nullptr || out[0] == '*') {
      return core::Status::invalid_argument("malformed bcrypt hash");
    }
    // Constant-time comparison of equal-length strings.
    std::string_view got(out);
    if (got.size() != hash.size()) return false;
    return sodium_memcmp(got.data(), hash.data(), got.size()) == 0;
  }
  return core::Status::invalid_argument("unknown password hash format");
}

bool password_needs_rehash(std::string_view hash, PasswordCost cost) {
  if (hash.substr(0, 10) != "$argon2id$") return true;
  if (!sodium_ready()) return false;
  unsigned long long ops;
  size_t mem;
  limits(cost, &ops, &mem);
  std::string h(hash);
  return crypto_pwhash_str_needs_rehash(h.c_str(), ops, mem) != 0;
}

core::Result<std::string> bcrypt_hash(std::string_view password, int cost, core::Random& random) {
  if (cost < 4 || cost > 31) return core::Status::invalid_argument("bcrypt cost must be 4-31");
  core::Bytes entropy = random.bytes(16);
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost),
                       reinterpret_cast<const char*>(entropy.data()),
                       static_cast<int>(entropy.size()), salt, sizeof salt) == nullptr) {
    return core::Status::internal("crypt_gensalt_rn failed");
  }
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_r(pw.c_str(), salt, data.get());
  if (out == nullptr || out[0] == '*') return core::Status::internal("crypt_r failed");
  return std::string(out);
}

}  // namespace storage
