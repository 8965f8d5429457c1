// MediaFetcher: downloads the `link` of a media message (POST /api/v1/messages with
// `"image": {"link": "https://…"}` etc.) and stores it exactly like an upload to POST
// /api/v1/media, so the send path only ever deals with media ids.
//
// The download is an outbound request chosen by the API caller, so it is SSRF-guarded by the
// same UrlPolicy as webhooks: http/https only, no credentials in the URL, the host must resolve
// to public addresses unless ALLOW_PRIVATE_WEBHOOKS=1, the connection is pinned to the checked
// address (CurlPin), redirects are not followed (a 3xx is an error), the body is aborted as soon
// as it exceeds the upload limit (MAX_UPLOAD_MB, the limit of POST /api/v1/media), and the whole
// transfer has a timeout. The stored type is sniffed from the content (sniff_media_type); a
// Content-Type header from the remote server is never trusted.
//
// Errors (core::Status codes): InvalidArgument (bad URL, HTTP error status, redirect, empty body,
// type not accepted), PermissionDenied (address not allowed), OutOfRange (bigger than the upload
// limit), Unavailable / DeadlineExceeded (network failure, timeout). Messages are user-facing
// and never contain the URL's query string.
//
// Ownership: borrows Services and UrlPolicy, which must outlive it and every fetch in flight;
// owns its own download threads (kFetchThreads), so slow remote servers never hold the Services
// pool that every SQL job needs. The destructor waits for downloads in flight.
// Threading: fetch() may be called from any thread; the download, the file write and the SQL
// insert run on the fetcher's threads; `done` runs on the network thread (Services::post). The
// body is buffered in memory, so at most max_bytes per fetch in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "gateway/auth/principal.h"
#include "gateway/webhooks/url_policy.h"
#include "storage/session_repositories.h"

namespace boost::asio {
class thread_pool;
}
namespace gw {
class Services;
}

namespace gw::api {

struct FetchedMedia {
  std::string media_id;   // storage::MediaFile id (usable as the message's media "id")
  std::string mime_type;  // sniffed from the content
  std::string file_name;  // the last path segment of the URL, sanitised ("file" when none)
};

class MediaFetcher {
 public:
  struct Options {
    std::filesystem::path dir;                  // where media files live (DATA_DIR/media)
    size_t max_bytes = 25u * 1024u * 1024u;     // MAX_UPLOAD_MB
    std::chrono::milliseconds timeout{30'000};  // whole transfer (holds a pool thread)
    std::chrono::milliseconds connect_timeout{10'000};
  };

  // Downloads in parallel; more wait for a free thread.
  static constexpr size_t kFetchThreads = 2;

  MediaFetcher(Services& services, const UrlPolicy& policy, Options options);
  ~MediaFetcher();
  MediaFetcher(const MediaFetcher&) = delete;
  MediaFetcher& operator=(const MediaFetcher&) = delete;

  // Downloads url under the UrlPolicy, stores it as an uploaded media file of session_id owned
  // like an upload by principal p; done runs on the network thread.
  void fetch(const std::string& url, const auth::Principal& p, const std::string& session_id,
             std::function<void(core::Result<FetchedMedia>)> done);

  // The blocking part of fetch() (download + store); runs on the calling thread.
  core::Result<FetchedMedia> fetch_blocking(const std::string& url, const auth::Principal& p,
                                            const std::string& session_id);

  const Options& options() const { return options_; }

 private:
  Services& services_;
  const UrlPolicy& policy_;
  Options options_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

// The one way a media file is stored (POST /api/v1/media and MediaFetcher): sniffs `data` with
// sniff_media_type(data, file_name) (InvalidArgument when not accepted), picks a random id that
// is also the file name under `dir`, calls place(dest) to put the content there (the upload
// route moves its temporary file; the fetcher writes `data`), then inserts the MediaFile row
// (removing the file again when that fails). `record` carries session_id/owner_id.
// Blocking: run on the Services pool.
core::Result<storage::MediaFile> store_media_file(
    Services& services, const std::filesystem::path& dir, storage::MediaFile record,
    const core::Bytes& data, const std::string& file_name,
    const std::function<core::Status(const std::filesystem::path& dest)>& place);

}  // namespace gw::api
