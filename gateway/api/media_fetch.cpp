// MediaFetcher (see media_fetch.h): one blocking libcurl easy transfer per link on the fetcher's
// own threads, pinned to the address the UrlPolicy checked.
#include "gateway/api/media_fetch.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <curl/curl.h>

#include <fstream>
#include <mutex>

#include "gateway/services.h"

namespace gw::api {
namespace {

void global_init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Download {
  core::Bytes body;
  size_t max_bytes = 0;
  bool too_big = false;
};

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  const size_t len = size * n;
  if (d->body.size() + len > d->max_bytes) {
    d->too_big = true;
    return 0;  // abort the transfer: nothing beyond the limit is ever buffered
  }
  d->body.insert(d->body.end(), reinterpret_cast<const uint8_t*>(data),
                 reinterpret_cast<const uint8_t*>(data) + len);
  return len;
}

struct EasyHandle {
  CURL* easy = curl_easy_init();
  ~EasyHandle() {
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

// The last path segment of the URL, restricted to a safe alphabet (it is only a display name and
// a hint for OOXML sniffing; the stored file name is always a random id).
std::string file_name_of(const ParsedUrl& url) {
  std::string_view u = url.url;
  auto scheme_end = u.find("://");
  if (scheme_end != std::string_view::npos) u.remove_prefix(scheme_end + 3);
  auto path_start = u.find('/');
  std::string_view path = path_start == std::string_view::npos ? "" : u.substr(path_start);
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  std::string name;
  for (char c : path) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') {
      name.push_back(c);
    }
    if (name.size() >= 100) break;
  }
  while (!name.empty() && name.front() == '.') name.erase(name.begin());
  return name.empty() ? "file" : name;
}

}  // namespace

MediaFetcher::MediaFetcher(Services& services, const UrlPolicy& policy, Options options)
    : services_(services),
      policy_(policy),
      options_(std::move(options)),
      pool_(std::make_unique<boost::asio::thread_pool>(kFetchThreads)) {
  global_init_curl();
}

MediaFetcher::~MediaFetcher() { pool_->join(); }

void MediaFetcher::fetch(const std::string& url, const auth::Principal& p,
                         const std::string& session_id,
                         std::function<void(core::Result<FetchedMedia>)> done) {
  boost::asio::post(*pool_, [this, url, p, session_id, done = std::move(done)]() mutable {
    auto result = std::make_shared<core::Result<FetchedMedia>>(fetch_blocking(url, p, session_id));
    services_.post([result, done = std::move(done)] { done(std::move(*result)); });
  });
}

core::Result<FetchedMedia> MediaFetcher::fetch_blocking(const std::string& url,
                                                        const auth::Principal& p,
                                                        const std::string& session_id) {
  auto target = policy_.check_for_request(url);
  if (!target.ok()) {
    return core::Status(target.status().code(), "link refused: " + target.status().message());
  }

  EasyHandle h;
  if (h.easy == nullptr) return core::Status::internal("curl_easy_init failed");
  CurlPin pin;
  CORE_RETURN_IF_ERROR(pin.apply(h.easy, *target));
  Download dl;
  dl.max_bytes = options_.max_bytes;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h.easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.easy, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h.easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h.easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  // Refuses early when the server announces a too large Content-Length; on_write enforces the
  // limit for chunked or lying servers.
  curl_easy_setopt(h.easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_bytes));
  curl_easy_setopt(h.easy, CURLOPT_USERAGENT, "SuperLight media fetcher");
  curl_easy_setopt(h.easy, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(h.easy, CURLOPT_WRITEDATA, &dl);
  curl_easy_setopt(h.easy, CURLOPT_ERRORBUFFER, errbuf);

  const CURLcode rc = curl_easy_perform(h.easy);
  const std::string limit_text = "media at the link is larger than the upload limit (" +
                                 std::to_string(options_.max_bytes / (1024 * 1024)) + " MB)";
  if (dl.too_big || rc == CURLE_FILESIZE_EXCEEDED) return core::Status::out_of_range(limit_text);
  if (pin.refused()) {
    return core::Status::permission_denied("link refused: connection to another address");
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return core::Status::deadline_exceeded("downloading the link timed out");
  }
  if (rc != CURLE_OK) {
    return core::Status::unavailable(std::string("could not download the link: ") +
                                     (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
  }
  long code = 0;
  curl_easy_getinfo(h.easy, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 300 && code < 400) {
    return core::Status::invalid_argument("link answered with a redirect (HTTP " +
                                          std::to_string(code) + "); redirects are not followed");
  }
  if (code < 200 || code >= 300) {
    return core::Status::invalid_argument("link answered HTTP " + std::to_string(code));
  }
  if (dl.body.empty()) return core::Status::invalid_argument("link returned an empty body");

  const std::string name = file_name_of(target->parsed);
  storage::MediaFile record;
  record.session_id = session_id;
  if (p.is_user()) record.owner_id = p.user_id;
  auto write_body = [&dl](const std::filesystem::path& dest) -> core::Status {
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(dl.body.data()),
              static_cast<std::streamsize>(dl.body.size()));
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(dest, ec);
      return core::Status::internal("cannot store downloaded media");
    }
    return core::Status();
  };
  CORE_ASSIGN_OR_RETURN(
      storage::MediaFile stored,
      store_media_file(services_, options_.dir, std::move(record), dl.body, name, write_body));
  return FetchedMedia{stored.id, stored.mime, name};
}

}  // namespace gw::api
