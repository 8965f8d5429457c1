#include "storage/secret_box.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/encoding.h"
#include "crypto/aes.h"
#include "crypto/kdf.h"

namespace storage {
namespace {

constexpr std::string_view kPrefix = "v1:";
constexpr size_t kNonceSize = 12;
constexpr std::string_view kKeyCheckPlaintext = "superlight key check v1";

}  // namespace

core::Result<SecretBox> SecretBox::create(core::ByteView master_key, core::Random* random) {
  if (master_key.size() != kMasterKeySize) {
    return core::Status::invalid_argument("master key must be 32 bytes");
  }
  auto key = crypto::hkdf_sha256(master_key, core::as_view("superlight-storage"),
                                 core::as_view("secrets-at-rest aes-256-gcm v1"), 32);
  if (!key.ok()) return key.status();
  return SecretBox(std::move(key).value(), random);
}

std::string SecretBox::seal(core::ByteView plaintext, std::string_view purpose) const {
  core::Random& rng = random_ ? *random_ : core::SecureRandom::instance();
  core::Bytes nonce = rng.bytes(kNonceSize);
  auto ct = crypto::aes256_gcm_encrypt(key_, nonce, plaintext, core::as_view(purpose));
  // Only wrong key/IV sizes can fail, and both are fixed here.
  assert(ct.ok());
  core::Bytes out = nonce;
  core::append(out, *ct);
  return std::string(kPrefix) + core::base64_encode(out);
}

core::Result<core::Bytes> SecretBox::open(std::string_view sealed, std::string_view purpose) const {
  if (sealed.substr(0, kPrefix.size()) != kPrefix) {
    return core::Status::invalid_argument("not a sealed value (missing v1: prefix)");
  }
  auto raw = core::base64_decode(sealed.substr(kPrefix.size()));
  if (!raw.ok()) return core::Status::invalid_argument("sealed value is not base64");
  if (raw->size() < kNonceSize + crypto::kAesGcmTagSize) {
    return core::Status::invalid_argument("sealed value too short");
  }
  core::ByteView all(*raw);
  auto pt = crypto::aes256_gcm_decrypt(key_, all.first(kNonceSize), all.subspan(kNonceSize),
                                       core::as_view(purpose));
  if (!pt.ok()) {
    return core::Status::unauthenticated("cannot decrypt " + std::string(purpose) +
                                         " value: wrong TOKEN_ENCRYPTION_KEY or altered data");
  }
  return pt;
}

std::string SecretBox::make_key_check() const { return seal(kKeyCheckPlaintext, "key-check"); }

bool SecretBox::matches_key_check(std::string_view stored) const {
  auto pt = open(stored, "key-check");
  return pt.ok() && core::as_string_view(*pt) == kKeyCheckPlaintext;
}

core::Result<core::Bytes> parse_master_key(std::string_view hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
    hex.remove_suffix(1);
  }
  if (hex.size() != 2 * kMasterKeySize) {
    return core::Status::invalid_argument("TOKEN_ENCRYPTION_KEY must be 64 hex characters (got " +
                                          std::to_string(hex.size()) + ")");
  }
  auto key = core::hex_decode(hex);
  if (!key.ok()) {
    return core::Status::invalid_argument("TOKEN_ENCRYPTION_KEY must be 64 hex characters");
  }
  return key;
}

core::Status write_key_file(const std::filesystem::path& key_file, core::ByteView key) {
  std::error_code ec;
  if (key_file.has_parent_path()) std::filesystem::create_directories(key_file.parent_path(), ec);
  std::filesystem::path tmp = key_file;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::Status::unavailable("cannot write " + tmp.string() + ": " + std::strerror(errno));
  }
  std::string text = core::hex_encode(key) + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), key_file.c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    return core::Status::unavailable("cannot write " + key_file.string() + ": " +
                                     std::strerror(err));
  }
  return core::Status();
}

core::Result<MasterKey> load_or_create_master_key(const std::optional<std::string>& env_value,
                                                  const std::filesystem::path& key_file) {
  if (env_value && !env_value->empty()) {
    auto key = parse_master_key(*env_value);
    if (!key.ok()) return key.status();
    return MasterKey{std::move(key).value(), "TOKEN_ENCRYPTION_KEY", false};
  }
  struct stat st {};
  if (::stat(key_file.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      return core::Status::permission_denied(key_file.string() +
                                             " is readable by other users; run chmod 600 on it");
    }
    std::ifstream in(key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) return core::Status::unavailable("cannot read " + key_file.string());
    auto key = parse_master_key(ss.str());
    if (!key.ok()) {
      return core::Status::invalid_argument(key_file.string() + ": " + key.status().message());
    }
    return MasterKey{std::move(key).value(), key_file.string(), false};
  }
  if (errno != ENOENT) {
    return core::Status::unavailable("cannot stat " + key_file.string() + ": " +
                                     std::strerror(errno));
  }
  core::Bytes key = core::SecureRandom::instance().bytes(kMasterKeySize);
  // Written to a private temporary name, then link()ed into place: link fails if the file
  // appeared meanwhile, so two processes starting together end up with the same key and
  // nobody ever reads a half-written file.
  std::error_code ec;
  if (key_file.has_parent_path()) std::filesystem::create_directories(key_file.parent_path(), ec);
  std::filesystem::path tmp = key_file;
  tmp += ".tmp." + std::to_string(::getpid());
  CORE_RETURN_IF_ERROR(write_key_file(tmp, key));
  int rc = ::link(tmp.c_str(), key_file.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) return load_or_create_master_key(std::nullopt, key_file);
    return core::Status::unavailable("cannot create " + key_file.string() + ": " +
                                     std::strerror(err));
  }
  return MasterKey{std::move(key), key_file.string(), true};
}

}  // namespace storage
