// Media blobs (wa-protocol.md §10.4): uploads are checked against the media_conn auth token
// and stored as state_dir/media/<hex>.enc (or in memory when ephemeral); downloads find them by
// direct path, ignoring the query string. The blob is opaque here: clients encrypt and MAC it.
#include <filesystem>
#include <fstream>

#include "core/encoding.h"
#include "simulator/simulator_impl.h"

namespace sim {
namespace {

constexpr std::string_view kMediaPrefix = "/v/t62.7118-24/";
constexpr size_t kMaxMediaSize = 64u << 20;

bool valid_name(std::string_view name) {
  if (name.size() < 5 || name.substr(name.size() - 4) != ".enc") return false;
  for (char ch : name.substr(0, name.size() - 4))
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

}  // namespace

core::Result<MediaUploadResult> SimulatorImpl::media_upload(const std::string& media_type,
                                                            const std::string& token,
                                                            const std::string& auth,
                                                            core::Bytes body) {
  (void)token;  // base64url(fileEncSha256); clients disagree on padding, so it is not checked
  if (auth != media_auth_) return core::Status::permission_denied("bad media auth token");
  if (media_type.empty()) return core::Status::invalid_argument("missing media type");
  if (body.size() > kMaxMediaSize) return core::Status::out_of_range("media too large");
  const std::string name = core::hex_encode(random_.bytes(16)) + ".enc";
  if (config_.ephemeral) {
    memory_media_[name] = std::move(body);
  } else {
    const std::string path = config_.state_dir + "/media/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(body.data()),
              static_cast<std::streamsize>(body.size()));
    if (!out) return core::Status::unavailable("writing " + path);
  }
  MediaUploadResult r;
  const int64_t expiry = clock_.unix_seconds() + 30 * 24 * 3600;
  char oe[17];
  std::snprintf(oe, sizeof oe, "%llX", static_cast<unsigned long long>(expiry));
  r.direct_path = std::string(kMediaPrefix) + name + "?ccb=11-4&oh=01_" +
                  core::hex_encode(random_.bytes(8)) + "&oe=" + oe;
  r.url = "https://" + config_.media_host + r.direct_path;
  return r;
}

core::Result<core::Bytes> SimulatorImpl::media_download(const std::string& path_and_query) {
  std::string_view path = path_and_query;
  if (auto q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
  if (path.substr(0, kMediaPrefix.size()) != kMediaPrefix) {
    return core::Status::not_found("no such media");
  }
  const std::string name(path.substr(kMediaPrefix.size()));
  if (!valid_name(name)) return core::Status::not_found("no such media");
  if (config_.ephemeral) {
    auto it = memory_media_.find(name);
    if (it == memory_media_.end()) return core::Status::not_found("no such media");
    return it->second;
  }
  const std::string file = config_.state_dir + "/media/" + name;
  std::ifstream in(file, std::ios::binary);
  if (!in) return core::Status::not_found("no such media");
  return core::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace sim
